// Starts GraphiQL on /graphql (kept out of the page so it needs no inline script). The bearer token pasted in the
// bar above it is sent as `Authorization` with every request; it is kept in sessionStorage only (this tab, until
// it closes), never in localStorage, where GraphiQL keeps its tabs and queries.
const TOKEN_KEY = "edge-pos.graphiql.token";
const root = document.getElementById("graphiql");
const form = document.getElementById("token-form");
const input = document.getElementById("token");
const state = document.getElementById("token-state");

const storedToken = () => sessionStorage.getItem(TOKEN_KEY) ?? "";

function fetcherFor(token) {
  return GraphiQL.createFetcher({
    url: root.dataset.endpoint,
    // A header typed in GraphiQL's own Headers tab wins over the token field.
    fetch: (url, init) => {
      const headers = new Headers(init.headers);
      if (token && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
      return fetch(url, { ...init, headers });
    },
  });
}

const DEFAULT_QUERY = `# Edge POS GraphQL API
#
# Paste a bearer token in the bar above:
#   a user's from POST /api/v1/auth/login, or
#   an API client's from POST /oauth/token.
# The Docs pane lists every query and type
# with its description.
`;

const app = ReactDOM.createRoot(root);
function render() {
  const token = storedToken();
  state.textContent = token ? "token set for this tab" : "no token";
  // A new fetcher makes GraphiQL load the schema again, now with the token.
  app.render(
    React.createElement(GraphiQL, {
      fetcher: fetcherFor(token),
      defaultQuery: DEFAULT_QUERY,
      visiblePlugin: "Documentation Explorer",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      showPersistHeadersSettings: false,
    }),
  );
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = input.value.trim().replace(/^Bearer\s+/i, "");
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  render();
});
input.value = storedToken();
render();
