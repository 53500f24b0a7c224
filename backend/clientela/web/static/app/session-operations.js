// The GraphQL documents of the portal's sessions and language switch, copied verbatim from
// tests/operations/session.graphql (tests/test_e2e_session.py keeps them in step): the contract's
// auth.graphql has no "keep me signed in", refresh or own language yet.

export const SESSION_OPERATIONS = {
  LogInKept: `mutation LogInKept($email: String!, $password: String!, $keepSignedIn: Boolean!) {
  logIn(email: $email, password: $password, keepSignedIn: $keepSignedIn) { token expiresAt viewer { id name email } }
}`,
  RefreshSession: `mutation RefreshSession {
  refreshSession { token expiresAt }
}`,
  SetMyLanguage: `mutation SetMyLanguage($language: String) {
  setMyLanguage(language: $language) { id language }
}`,
};
