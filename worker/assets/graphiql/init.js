// Starts GraphiQL on /graphql (kept out of the page so it needs no inline script). The bearer token pasted in the
// bar above it is sent as `Authorization` with every request; it is kept in sessionStorage only (this tab, until
// it closes), never in localStorage, where GraphiQL keeps its tabs and queries.
const TOKEN_KEY = "edge-pos.graphiql.token";
const root = document.getElementById("graphiql");
const form = document.getElementById("token-form");
const input = document.getElementById("token");
const state = document.getElementById("token-state");

const storedToken = () => sessionStorage.getItem(TOKEN_KEY) ?? "";

// Every operation needs a token, so without one GraphiQL is told so instead of asking the server.
const NO_TOKEN = () =>
  new Response(
    JSON.stringify({ errors: [{ message: "No token: paste a bearer token in the bar above", extensions: { code: "NOT_AUTHENTICATED" } }] }),
    { status: 401, headers: { "Content-Type": "application/json" } },
  );

function fetcherFor(token) {
  return GraphiQL.createFetcher({
    url: root.dataset.endpoint,
    // A header typed in GraphiQL's own Headers tab wins over the token field.
    fetch: async (url, init) => {
      const headers = new Headers(init.headers);
      if (token && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
      if (!headers.has("Authorization")) return NO_TOKEN();
      return fetch(url, { ...init, headers });
    },
  });
}

const DEFAULT_QUERY = `# Edge POS GraphQL API
#
# Paste a bearer token above:
#   a user's: POST /api/v1/auth/login
#   a client's: POST /oauth/token
# Docs (left) describes every query.
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
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      showPersistHeadersSettings: false,
    }),
  );
}

// Open the Docs pane once GraphiQL is on the page. (graphiql 4's visiblePlugin prop marks the pane open but leaves
// it collapsed, so its own sidebar button does it, as a click would.)
new MutationObserver((_, observer) => {
  const show = root.querySelector('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
  if (!show) return;
  observer.disconnect();
  show.click();
}).observe(root, { childList: true, subtree: true });

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = input.value.trim().replace(/^Bearer\s+/i, "");
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  render();
});
input.value = storedToken();
render();
