import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// exports.default.fetch reaches the Worker (not the asset router in front of it), as a browser's GET /graphql does.
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
const get = (path: string, accept = "*/*") =>
  exports.default.fetch(new Request(`http://pos.test${path}`, { redirect: "manual", headers: { Accept: accept } }));
const page = () => get("/graphql", BROWSER_ACCEPT);

const attributes = (html: string, tag: string, attribute: string) =>
  [...html.matchAll(new RegExp(`<${tag}\\b[^>]*\\b${attribute}="([^"]*)"`, "g"))].map((m) => m[1]!);
const stylesheets = (html: string) => [...html.matchAll(/<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]*)"/g)].map((m) => m[1]!);
const urlsIn = (text: string) => [...text.matchAll(/\b(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi)].map((m) => m[0]);

describe("GraphiQL on GET /graphql", () => {
  it("answers a browser with the GraphiQL page, which names /graphql as its endpoint", async () => {
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Vary")).toMatch(/\bAccept\b/);
    const html = await res.text();
    expect(attributes(html, "div", "data-endpoint")).toEqual(["/graphql"]);
    expect(attributes(html, "input", "id")).toContain("token");
  });

  it("loads only its own scripts and stylesheets, none inline and nothing from another host", async () => {
    const html = await (await page()).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/graphiql\//);
      expect(body!.trim()).toBe("");
    }
    for (const href of stylesheets(html)) expect(href).toMatch(/^\/graphiql\//);
    expect(urlsIn(html)).toEqual([]);
  });

  it("serves every script and stylesheet the page names, as JavaScript and CSS, and they name no other host to load", async () => {
    const html = await (await page()).text();
    const scripts = attributes(html, "script", "src");
    const styles = stylesheets(html);
    expect(scripts).toEqual([
      "/graphiql/vendor/react.production.min.js",
      "/graphiql/vendor/react-dom.production.min.js",
      "/graphiql/vendor/graphiql.min.js",
      "/graphiql/init.js",
    ]);
    expect(styles).toEqual(["/graphiql/vendor/graphiql.min.css", "/graphiql/page.css"]);
    const bodies = new Map<string, string>();
    for (const src of scripts) {
      const res = await get(src);
      expect(res.status, src).toBe(200);
      expect(res.headers.get("Content-Type"), src).toMatch(/^(text|application)\/javascript/);
      bodies.set(src, await res.text());
    }
    for (const href of styles) {
      const res = await get(href);
      expect(res.status, href).toBe(200);
      expect(res.headers.get("Content-Type"), href).toMatch(/^text\/css/);
      bodies.set(href, await res.text());
    }
    expect(bodies.get("/graphiql/vendor/graphiql.min.js")).toContain(".GraphiQL=");
    expect(bodies.get("/graphiql/vendor/react-dom.production.min.js")).toContain("createRoot");
    // Our own files name no host at all; the vendor stylesheet loads nothing but data: URLs.
    expect(urlsIn(bodies.get("/graphiql/init.js")!)).toEqual([]);
    expect(urlsIn(bodies.get("/graphiql/page.css")!)).toEqual([]);
    const cssUrls = [...bodies.get("/graphiql/vendor/graphiql.min.css")!.matchAll(/url\(\s*["']?([^"')]*)/g)].map((m) => m[1]!);
    expect(cssUrls.length).toBeGreaterThan(0);
    expect(cssUrls.filter((u) => !u.startsWith("data:"))).toEqual([]);
    expect(bodies.get("/graphiql/vendor/graphiql.min.css")).not.toMatch(/@import/);
  });

  it("keeps the pasted token in sessionStorage only and sends it as a bearer token", async () => {
    const init = await (await get("/graphiql/init.js")).text();
    expect(init).toContain("sessionStorage.setItem");
    expect(init).not.toMatch(/localStorage\s*\./);
    expect(init).toMatch(/Bearer \$\{token\}/);
    expect(init).toContain("Show Documentation Explorer");
  });

  it("forbids scripts and connections to anywhere but the Worker itself", async () => {
    const csp = (await page()).headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )connect-src 'self'(;|$)/);
  });

  it("leaves GraphQL requests to the endpoint: a GET that does not ask for HTML, a POST, a refused text/html", async () => {
    const requests = [
      new Request("http://pos.test/graphql?query=%7B__typename%7D", { headers: { Accept: "application/graphql-response+json, application/json" } }),
      new Request("http://pos.test/graphql?query=%7B__typename%7D"),
      new Request("http://pos.test/graphql?query=%7B__typename%7D", { headers: { Accept: "text/html;q=0, application/json" } }),
      new Request("http://pos.test/graphql", {
        method: "POST",
        headers: { Accept: BROWSER_ACCEPT, "Content-Type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }" }),
      }),
    ];
    for (const request of requests) {
      const res = await exports.default.fetch(request);
      expect(res.headers.get("Content-Type") ?? "", `${request.method} ${request.headers.get("Accept")}`).not.toMatch(/text\/html/);
      expect(await res.text()).not.toContain('id="graphiql"');
    }
  });
});
