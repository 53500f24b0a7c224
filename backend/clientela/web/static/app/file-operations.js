// The GraphQL documents the portal sends about files, copied verbatim from
// tests/operations/files.graphql (tests/test_e2e_files.py keeps them in step). They cannot sit in
// operations.js, which holds the contract's documents only: the contract has no files yet.

const FRAGMENTS = `fragment FileFields on File {
  id
  name
  size
  contentType
  createdAt
  url
  uploadedBy { id name }
}`;

const DOCUMENTS = {
  TaskFiles: `query TaskFiles($id: ID!) {
  task(id: $id) {
    id
    files { ...FileFields }
    messages { id visibility files { ...FileFields } }
  }
}`,
  PostMessageWithFiles: `mutation PostMessageWithFiles($input: PostMessageInput!) {
  postMessage(input: $input) { id visibility files { ...FileFields } }
}`,
  SubmitItemWithFiles: `mutation SubmitItemWithFiles($input: SubmitItemInput!) {
  submitItem(input: $input) { id title files { ...FileFields } }
}`,
  RemoveFile: `mutation RemoveFile($id: ID!) {
  removeFile(id: $id)
}`,
};

/** Each document as sent: with the fragments when it spreads any (a fragment nothing spreads
 * is invalid GraphQL). */
export const FILE_OPERATIONS = Object.fromEntries(
  Object.entries(DOCUMENTS).map(([name, text]) => [name, text.includes("...") ? `${text}\n${FRAGMENTS}` : text]),
);
