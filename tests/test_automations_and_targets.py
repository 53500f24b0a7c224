"""Automations and response-time targets together: a target at risk or breached fires its rules
once however often the worker's passes run, and an automatic reply is no first response. Time
moves by the injected clock (clientela.core.clock.now), never by sleeping."""

from __future__ import annotations

from clientela.automations import engine
from clientela.automations.models import AutomationRun, RunOutcome, TriggerKind
from clientela.conversations.models import Message
from clientela.targets import services as targets
from clientela.tasks.models import Task
from test_automations import make_rule, submit
from test_response_targets import NORMAL, at, now, set_targets, targets_of  # noqa: F401 (the clock fixture)


async def test_a_breached_target_fires_its_rule_once_and_the_acknowledgement_meets_nothing(api, world, now):  # noqa: F811
    await set_targets(api, world.admin, NORMAL)  # first response within 2 working hours
    rule_id = await make_rule(
        api, world.admin.token, trigger="TARGET_BREACHED", actions=[{"kind": "SET_PRIORITY", "priority": "URGENT"}]
    )
    task_id = await submit(api, world)  # Friday 15:00: due at 17:00, the end of the working day

    # The default acknowledgement answers at once, but a machine's reply is no response.
    assert await engine.process_events() >= 1
    assert await Message.filter(task_id=task_id, automated=True).count() == 1
    first_response = (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]
    assert first_response["state"] == "RUNNING" and first_response["dueAt"].startswith("2026-12-04T17:00")

    # Monday morning the target is breached: the worker's passes fire the rule once.
    now.set(at(7, 10))
    assert await targets.announce_target_states() >= 1
    await engine.process_events()
    assert await targets.announce_target_states() == 0
    await engine.process_events()

    assert (await Task.get(id=task_id)).priority == "URGENT"
    runs = await AutomationRun.filter(rule_id=rule_id).values_list("trigger", "outcome")
    assert runs == [(TriggerKind.TARGET_BREACHED, RunOutcome.SUCCEEDED)]


async def test_the_acknowledgement_tells_a_spanish_client_by_when_the_firm_aims_to_answer(api, world, now):  # noqa: F811
    from clientela.people.models import User

    await User.filter(id=world.client.user.id).update(language="es")
    untargeted = await submit(api, world, "Sin plazo")
    await engine.process_events()
    await set_targets(api, world.admin, NORMAL)
    targeted = await submit(api, world, "Factura rota")
    await engine.process_events()

    [with_target] = await Message.filter(task_id=targeted, automated=True).values_list("body", flat=True)
    assert "Nuestro objetivo es responderle antes del 4 de diciembre de 2026, 17:00 (UTC)." in with_target
    assert "Factura rota" in with_target and "{" not in with_target
    # Without a running target the sentence is left out, and no gap with it.
    [without] = await Message.filter(task_id=untargeted, automated=True).values_list("body", flat=True)
    assert "objetivo" not in without and "pronto. Puede seguirla" in without
