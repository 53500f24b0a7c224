// The GraphQL operations the portal sends: copied verbatim from the contract
// (shared/contract/auth.graphql, portal.graphql, staff.graphql); a test keeps them in step.

export const OPERATIONS = {
  LogIn: `mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token viewer { id name email } }
}`,
  LogOut: `mutation LogOut {
  logOut
}`,
  RequestPasswordReset: `mutation RequestPasswordReset($email: String!) {
  # Always true, whether or not the address has an account. Serves both
  # "create a password" (first visit) and "forgot password".
  requestPasswordReset(email: $email)
}`,
  ResetPassword: `mutation ResetPassword($token: String!, $password: String!) {
  # Sets the password and ends every session of that person; it does not sign in:
  # the person then signs in with logIn, as usual.
  resetPassword(token: $token, password: $password)
}`,
  Viewer: `query Viewer {
  viewer {
    id
    name
    email
    language
    isAdmin
    organization { id name kind }
    workspace { id name currency }
  }
}`,
  PortalHome: `query PortalHome($first: Int, $after: String) {
  viewer { id name language organization { id name kind } }
  portalItems(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node { id title status priority dueDate labels project { id name } }
    }
  }
}`,
  PortalProjects: `query PortalProjects {
  projects { id name }
}`,
  PortalItem: `query PortalItem($id: ID!) {
  task(id: $id) {
    id
    title
    description
    status
    priority
    dueDate
    labels
    assignee { id name email phone }
    requesters { id name }
    estimatedMinutes
    timeSpentMinutes
    cost { amount currency }
    messages { id body visibility createdAt author { id name } }
  }
}`,
  SubmitItem: `mutation SubmitItem($input: SubmitItemInput!) {
  # SubmitItemInput { projectId: ID!, title: String!, description: String }
  # The viewer becomes the item's requester.
  submitItem(input: $input) { id title status }
}`,
  PortalReply: `mutation PortalReply($taskId: ID!, $body: String!) {
  postMessage(input: { taskId: $taskId, body: $body, visibility: PUBLIC }) { id }
}`,
  PortalSettings: `query PortalSettings {
  # PortalScope: OWN_REQUESTS | ORGANIZATION_REQUESTS | FOLLOWED_PROJECTS
  # TaskField: DESCRIPTION | STATUS | PRIORITY | DUE_DATE | LABELS | ASSIGNEE | REQUESTERS |
  #   FOLLOWERS | MESSAGES | ESTIMATED_TIME | TIME_SPENT | COST
  portalSettings { scopes visibleTaskFields canSubmitItems canPostMessages }
}`,
  OrganizationPage: `query OrganizationPage($id: ID!) {
  organization(id: $id) {
    id
    name
    kind
    language
    departments { id name }
    members { id name email phone invited department { id name } }
    projects { id name }
    followedProjects { id name }
    shares { id role user { id name email } }
    financialSummary {
      projectCount
      budget { amount currency }
      billed { amount currency }
    }
  }
}`,
  ProjectPage: `query ProjectPage($id: ID!) {
  project(id: $id) {
    id
    name
    description
    client { id name }
    budget { amount currency }
    hourlyRate { amount currency }
    timeSpentMinutes
    billed { amount currency }
    members { id name }
    followers { users { id name } organizations { id name } }
    tasks(first: 50) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id title status } }
    }
  }
}`,
};
