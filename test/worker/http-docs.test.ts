import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// exports.default.fetch reaches the Worker, not the asset router in front of it; the Worker hands /docs to ASSETS.
const get = (path: string) => exports.default.fetch(new Request(`http://pos.test${path}`, { redirect: "manual" }));

const attributes = (html: string, tag: string, attribute: string) =>
  [...html.matchAll(new RegExp(`<${tag}\\b[^>]*\\b${attribute}="([^"]*)"`, "g"))].map((m) => m[1]!);

describe("API reference at /docs", () => {
  it("sends /docs to /docs/", async () => {
    const res = await get("/docs");
    expect(res.status).toBe(307);
    expect(res.headers.get("Location")).toBe("/docs/");
  });

  it("answers an HTML page that names the OpenAPI document and loads only its own scripts", async () => {
    const res = await get("/docs/");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(attributes(html, "div", "data-openapi-url")).toEqual(["/api/v1/openapi.json"]);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/docs\//);
      expect(body!.trim()).toBe("");
    }
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("forbids the page scripts from anywhere but the Worker itself", async () => {
    const csp = (await get("/docs/")).headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )connect-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
  });

  it("answers the page's scripts as JavaScript and its stylesheets as CSS", async () => {
    const html = await (await get("/docs/")).text();
    const scripts = attributes(html, "script", "src");
    const styles = attributes(html, "link", "href");
    expect(scripts).toEqual(expect.arrayContaining(["/docs/vendor/swagger-ui-bundle.js", "/docs/init.js"]));
    for (const src of scripts) {
      const res = await get(src);
      expect(res.status, src).toBe(200);
      expect(res.headers.get("Content-Type"), src).toMatch(/^(text|application)\/javascript/);
      expect((await res.text()).length, src).toBeGreaterThan(0);
    }
    expect((await (await get("/docs/vendor/swagger-ui-bundle.js")).text())).toContain("SwaggerUIBundle");
    expect(await (await get("/docs/init.js")).text()).toContain("openapiUrl");
    expect(styles.length).toBeGreaterThan(0);
    for (const href of styles) {
      const res = await get(href);
      expect(res.status, href).toBe(200);
      expect(res.headers.get("Content-Type"), href).toMatch(/^text\/css/);
    }
  });

  it("answers a missing file under /docs with the API's 404", async () => {
    const res = await get("/docs/no-such-file.js");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ success: false, code: "ROUTE_NOT_FOUND" });
  });
});
