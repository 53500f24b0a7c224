// The GraphQL documents of the portal's finding and following up (its item list with search,
// filters and orders, unread markers, resolving, rating, notifications) and a project's items
// past the first 50, copied verbatim from tests/operations/portal.graphql, which
// tests/test_portal_access.py runs as every kind of viewer (tests/test_e2e_portal_find.py keeps
// them in step). The contract's portal.graphql predates them, and its PortalHome cannot change.

export const PORTAL_OPERATIONS = {
  PortalFind: `query PortalFind($first: Int, $after: String, $search: String, $status: TaskStatus, $resolved: Boolean,
                 $whose: ItemOwnership, $orderBy: TaskOrder! = NEWEST_FIRST) {
  viewer { id name language organization { id name kind } }
  portalUnreadCount
  portalItems(first: $first, after: $after, search: $search, status: $status, resolved: $resolved, whose: $whose,
              orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node { id ref title status priority dueDate labels createdAt updatedAt unread project { id name } }
    }
  }
}`,
  PortalUnreadCount: `query PortalUnreadCount {
  portalUnreadCount
}`,
  PortalItemFollowUp: `query PortalItemFollowUp($id: ID!) {
  task(id: $id) {
    id ref createdAt updatedAt unread notifications canResolve canRate
    project { id name }
    myRating { score comment }
    messages { id fromFirm author { id organization { id name } } }
  }
}`,
  MarkItemRead: `mutation MarkItemRead($taskId: ID!) {
  markItemRead(taskId: $taskId) { id unread }
}`,
  SetItemNotifications: `mutation SetItemNotifications($taskId: ID!, $notifications: ItemNotifications!) {
  setItemNotifications(taskId: $taskId, notifications: $notifications) { id notifications }
}`,
  ResolveItem: `mutation ResolveItem($taskId: ID!) {
  resolveItem(taskId: $taskId) { id status updatedAt }
}`,
  ReopenItem: `mutation ReopenItem($taskId: ID!) {
  reopenItem(taskId: $taskId) { id status updatedAt }
}`,
  RateItem: `mutation RateItem($input: RateItemInput!) {
  # RateItemInput { taskId: ID!, score: Int! (1 to 5), comment: String }
  rateItem(input: $input) { score comment createdAt updatedAt }
}`,
  ProjectTasksPage: `query ProjectTasksPage($id: ID!, $after: String) {
  project(id: $id) {
    id
    tasks(first: 50, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id title status } }
    }
  }
}`,
};
