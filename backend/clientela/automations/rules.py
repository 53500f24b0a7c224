"""What a rule is made of, as typed values: its conditions and its actions, read from and
written to the rule's JSON columns, checked when a rule is saved; and the templates of its
messages, whose placeholders are a fixed whitelist (nothing else of an item can reach a
client through the automation identity: not its costs, time or internal notes)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from clientela.automations.models import ActionKind, TriggerKind
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.core.ids import parse_id
from clientela.tasks.models import TaskPriority, TaskStatus

# {item}: the item's title; {requester}: the first requester's name; {project}: the project's
# name; {link}: the item in the portal; {response_target}: a sentence saying by when the firm
# aims to answer (the item's running first-response target), or nothing when none runs.
PLACEHOLDERS = ("item", "requester", "project", "link", "response_target")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_ACTIONS = 10
MAX_TRIGGER_HOURS = 24 * 365
FALLBACK_LANGUAGE = "en"
NEEDS_HOURS = frozenset({TriggerKind.DUE_DATE_NEAR, TriggerKind.NO_PUBLIC_REPLY})


def check_template(text: str, field_name: str) -> str:
    text = validation.body(text, field_name)
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise BadUserInput(f"{field_name}: unknown placeholder {{{unknown[0]}}}; allowed: {allowed}.", field=field_name)
    return text


def render(template: str, values: dict[str, str]) -> str:
    """The template with each whitelisted placeholder replaced, in one pass: a value that
    contains braces (a title "{link}") stays as it is. A {response_target} that says nothing
    takes the space after it along."""
    if not values.get("response_target"):
        template = re.sub(r"\{response_target\} ?", "", template)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


# {response_target}, in each language; {when} is the due moment in the workspace's time zone.
RESPONSE_TARGET_SENTENCES = {
    "en": "We aim to answer by {when}.",
    "es": "Nuestro objetivo es responderle antes del {when}.",
    "pt": "O nosso objetivo é responder até {when}.",
    "ru": "Мы постараемся ответить до {when}.",
}


def pick_template(templates: dict[str, str], *languages: str) -> str:
    """The template of the first of `languages` it has, else English, else its first."""
    for language in (*languages, FALLBACK_LANGUAGE):
        if language in templates:
            return templates[language]
    return next(iter(templates.values()))


def _ids(raw: list | None, field_name: str) -> tuple[uuid.UUID, ...]:
    ids = []
    for value in raw or []:
        parsed = parse_id(value)
        if parsed is None:
            raise BadUserInput(f"{field_name}: not an id: {value!r}.", field=field_name)
        ids.append(parsed)
    return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class Facts:
    """What the conditions are decided on: the item as it is when the rule runs, and who did
    what triggered it."""

    status: TaskStatus
    priority: TaskPriority
    labels: frozenset[str]
    requester_organization_ids: frozenset[uuid.UUID]
    actor_is_client: bool


@dataclass(frozen=True)
class Conditions:
    """All must hold; each list holds when the item has any of its values; empty: no condition."""

    statuses: tuple[TaskStatus, ...] = ()
    priorities: tuple[TaskPriority, ...] = ()
    labels: tuple[str, ...] = ()
    requester_organization_ids: tuple[uuid.UUID, ...] = ()
    author_is_client: bool | None = None

    @classmethod
    def checked(
        cls,
        *,
        statuses: list | None = None,
        priorities: list | None = None,
        labels: list | None = None,
        requester_organization_ids: list | None = None,
        author_is_client: bool | None = None,
    ) -> Conditions:
        return cls(
            statuses=tuple(dict.fromkeys(TaskStatus(s) for s in statuses or [])),
            priorities=tuple(dict.fromkeys(TaskPriority(p) for p in priorities or [])),
            labels=tuple(validation.filter_labels(labels) or []),
            requester_organization_ids=_ids(requester_organization_ids, "requester_organization_ids"),
            author_is_client=author_is_client,
        )

    def holds(self, facts: Facts) -> bool:
        return (
            (not self.statuses or facts.status in self.statuses)
            and (not self.priorities or facts.priority in self.priorities)
            and (not self.labels or bool(facts.labels.intersection(self.labels)))
            and (
                not self.requester_organization_ids
                or bool(facts.requester_organization_ids.intersection(self.requester_organization_ids))
            )
            and (self.author_is_client is None or facts.actor_is_client is self.author_is_client)
        )

    @classmethod
    def from_document(cls, doc: dict) -> Conditions:
        return cls(
            statuses=tuple(TaskStatus(s) for s in doc.get("statuses", [])),
            priorities=tuple(TaskPriority(p) for p in doc.get("priorities", [])),
            labels=tuple(doc.get("labels", [])),
            requester_organization_ids=tuple(uuid.UUID(o) for o in doc.get("requesterOrganizationIds", [])),
            author_is_client=doc.get("authorIsClient"),
        )

    def to_document(self) -> dict:
        return {
            "statuses": list(self.statuses),
            "priorities": list(self.priorities),
            "labels": list(self.labels),
            "requesterOrganizationIds": [str(o) for o in self.requester_organization_ids],
            "authorIsClient": self.author_is_client,
        }


@dataclass(frozen=True)
class RuleAction:
    """One action; which fields it uses depends on its kind (`checked` refuses the rest)."""

    kind: ActionKind
    # POST_PUBLIC_REPLY: language → text (en, es, pt, ru); POST_INTERNAL_NOTE and EMAIL_STAFF:
    # one text, under the workspace's language or any.
    templates: dict[str, str] = field(default_factory=dict)
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    labels: tuple[str, ...] = ()
    # ASSIGN: one person; ADD_FOLLOWERS and EMAIL_STAFF: staff people.
    user_ids: tuple[uuid.UUID, ...] = ()
    to_assignee: bool = False

    @classmethod
    def checked(
        cls,
        kind: ActionKind,
        *,
        templates: dict[str, str] | None = None,
        status: TaskStatus | None = None,
        priority: TaskPriority | None = None,
        labels: list[str] | None = None,
        user_ids: list | None = None,
        to_assignee: bool = False,
    ) -> RuleAction:
        kind = ActionKind(kind)
        templates = templates or {}
        uses = {
            ActionKind.POST_PUBLIC_REPLY: {"templates"},
            ActionKind.POST_INTERNAL_NOTE: {"templates"},
            ActionKind.SET_STATUS: {"status"},
            ActionKind.SET_PRIORITY: {"priority"},
            ActionKind.ADD_LABELS: {"labels"},
            ActionKind.ASSIGN: {"user_ids"},
            ActionKind.ADD_FOLLOWERS: {"user_ids"},
            ActionKind.EMAIL_STAFF: {"templates", "user_ids", "to_assignee"},
        }[kind]
        given = {
            name
            for name, value in {
                "templates": templates,
                "status": status,
                "priority": priority,
                "labels": labels,
                "user_ids": user_ids,
                "to_assignee": to_assignee,
            }.items()
            if value
        }
        if extra := sorted(given - uses):
            raise BadUserInput(f"A {kind} action takes no {extra[0]}.", field=extra[0])
        cleaned_templates = {}
        for language, text in templates.items():
            code = validation.language(language, "templates")
            cleaned_templates[code] = check_template(text, "templates")
        action = cls(
            kind=kind,
            templates=cleaned_templates,
            status=TaskStatus(status) if status else None,
            priority=TaskPriority(priority) if priority else None,
            labels=tuple(validation.labels(labels) or []),
            user_ids=_ids(user_ids, "user_ids"),
            to_assignee=to_assignee,
        )
        missing = {
            ActionKind.POST_PUBLIC_REPLY: not action.templates,
            ActionKind.POST_INTERNAL_NOTE: not action.templates,
            ActionKind.SET_STATUS: action.status is None,
            ActionKind.SET_PRIORITY: action.priority is None,
            ActionKind.ADD_LABELS: not action.labels,
            ActionKind.ASSIGN: len(action.user_ids) != 1,
            ActionKind.ADD_FOLLOWERS: not action.user_ids,
            ActionKind.EMAIL_STAFF: not action.templates or not (action.user_ids or action.to_assignee),
        }[kind]
        if missing:
            raise BadUserInput(f"A {kind} action needs {_NEEDS[kind]}.", field="actions")
        return action

    @classmethod
    def from_document(cls, doc: dict) -> RuleAction:
        return cls(
            kind=ActionKind(doc["kind"]),
            templates=dict(doc.get("templates", {})),
            status=TaskStatus(doc["status"]) if doc.get("status") else None,
            priority=TaskPriority(doc["priority"]) if doc.get("priority") else None,
            labels=tuple(doc.get("labels", [])),
            user_ids=tuple(uuid.UUID(u) for u in doc.get("userIds", [])),
            to_assignee=bool(doc.get("toAssignee", False)),
        )

    def to_document(self) -> dict:
        return {
            "kind": self.kind.value,
            "templates": dict(self.templates),
            "status": self.status.value if self.status else None,
            "priority": self.priority.value if self.priority else None,
            "labels": list(self.labels),
            "userIds": [str(u) for u in self.user_ids],
            "toAssignee": self.to_assignee,
        }


_NEEDS = {
    ActionKind.POST_PUBLIC_REPLY: "templates",
    ActionKind.POST_INTERNAL_NOTE: "templates",
    ActionKind.SET_STATUS: "a status",
    ActionKind.SET_PRIORITY: "a priority",
    ActionKind.ADD_LABELS: "labels",
    ActionKind.ASSIGN: "exactly one of user_ids",
    ActionKind.ADD_FOLLOWERS: "user_ids",
    ActionKind.EMAIL_STAFF: "templates and user_ids or to_assignee",
}


def check_trigger(trigger: TriggerKind, hours: int | None) -> int | None:
    if trigger in NEEDS_HOURS:
        if hours is None or not 1 <= hours <= MAX_TRIGGER_HOURS:
            raise BadUserInput(f"A {trigger} trigger needs hours from 1 to {MAX_TRIGGER_HOURS}.", field="hours")
        return hours
    if hours is not None:
        raise BadUserInput(f"A {trigger} trigger takes no hours.", field="hours")
    return None


def check_actions(actions: list[RuleAction]) -> list[RuleAction]:
    if not actions:
        raise BadUserInput("A rule needs at least one action.", field="actions")
    if len(actions) > MAX_ACTIONS:
        raise BadUserInput(f"A rule has at most {MAX_ACTIONS} actions.", field="actions")
    return actions


# The rule every new workspace starts with (admins can edit or disable it).
ACKNOWLEDGE_NAME = "Acknowledge submitted items"
ACKNOWLEDGE_TEMPLATES = {
    "en": "We received your request '{item}' and will get back to you soon. {response_target} "
    "You can follow it here: {link}",
    "es": "Hemos recibido su solicitud '{item}' y le responderemos pronto. {response_target} "
    "Puede seguirla aquí: {link}",
    "pt": "Recebemos o seu pedido '{item}' e responderemos em breve. {response_target} "
    "Pode acompanhá-lo aqui: {link}",
    "ru": "Мы получили ваш запрос «{item}» и скоро ответим. {response_target} Следить за ним можно здесь: {link}",
}


def identity_name(workspace_name: str) -> str:
    """The name of a workspace's automation identity, the author of its automatic messages."""
    return f"{workspace_name} (automatic)"[:200]


def acknowledgement() -> tuple[str, TriggerKind, list[RuleAction]]:
    return (
        ACKNOWLEDGE_NAME,
        TriggerKind.ITEM_SUBMITTED,
        [RuleAction(ActionKind.POST_PUBLIC_REPLY, templates=dict(ACKNOWLEDGE_TEMPLATES))],
    )
