/**
 * Reports over a year of a busy store: 100,000 sales (three lines each, one in fifty voided) generated with
 * set-based SQL straight into the bench's local D1, their report rows made by the migration that backfills them
 * (migrations/*_sales_aggregates_backfill.sql, the sales service's own statements), then each report timed through
 * the API. Called by run.mjs with its helpers; figures to read, not pass/fail (the target is under 2 s each).
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const SALES = Number(process.env.BENCH_REPORT_SALES ?? 100_000);
const DAY_MS = 86_400_000;

function generationSql(tenantId, storeId, now) {
  const t = `'${tenantId}'`;
  const first = now - 365 * DAY_MS;
  const step = Math.floor((365 * DAY_MS) / SALES);
  return `
CREATE TABLE bench_products AS SELECT id, sell_price, cost_price, department_id, sku, name, tax_group_id, row_number() OVER (ORDER BY sku) - 1 AS k
  FROM products WHERE tenant_id = ${t} AND deleted_at IS NULL;
CREATE TABLE bench_cashiers AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE tenant_id = ${t};
INSERT INTO sales (id, tenant_id, store_id, register_id, session_id, device_id, receipt_number, kind, original_sale_id, unreferenced, status, cashier_id,
  sales_rep_id, customer_id, currency, prices_include_tax, tax_rounding, subtotal, discount_total, tax_total, grand_total, cash_rounding, total_due, paid_total,
  change_given, sold_at, voided_at, voided_by, void_reason, request_hash, version, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${SALES - 1})
SELECT 'bench-sale-' || i, ${t}, '${storeId}', 'bench-register', 'bench-session', NULL, 'BENCH-' || i, 'sale', NULL, 0,
  CASE WHEN i % 50 = 7 THEN 'voided' ELSE 'completed' END,
  (SELECT id FROM bench_cashiers WHERE k = i % (SELECT count(*) FROM bench_cashiers)), NULL, NULL, 'SEK', 1, 'line', 0, 0, 0, 0, 0, 0, 0, 0,
  ${first} + i * ${step}, NULL, NULL, NULL, 'bench', 1, ${now}, ${now}
FROM n;
INSERT INTO sale_lines (id, tenant_id, sale_id, line_no, product_id, product_name, sku, department_id, quantity, unit_price, catalogue_price, price_override,
  discount, net, tax, gross, cost_price, original_line_id)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${SALES * 3 - 1})
SELECT 'bench-line-' || i, ${t}, 'bench-sale-' || (i / 3), i % 3 + 1, p.id, p.name, p.sku, p.department_id, 1000 * (1 + i % 2), p.sell_price, p.sell_price, 0,
  CASE WHEN i % 7 = 0 THEN 100 ELSE 0 END,
  (p.sell_price * (1 + i % 2) - CASE WHEN i % 7 = 0 THEN 100 ELSE 0 END) - (p.sell_price * (1 + i % 2) - CASE WHEN i % 7 = 0 THEN 100 ELSE 0 END) / 5,
  (p.sell_price * (1 + i % 2) - CASE WHEN i % 7 = 0 THEN 100 ELSE 0 END) / 5,
  p.sell_price * (1 + i % 2) - CASE WHEN i % 7 = 0 THEN 100 ELSE 0 END, p.cost_price, NULL
FROM n JOIN bench_products p ON p.k = (i * 7 + i / 3) % (SELECT count(*) FROM bench_products);
INSERT INTO sale_line_taxes (tenant_id, sale_id, line_id, tax_rate_id, name, rate_millionths, is_compound, sort_order, amount)
SELECT l.tenant_id, l.sale_id, l.id, r.id, r.name, r.rate_millionths, 0, 0, l.tax
FROM sale_lines l JOIN bench_products p ON p.id = l.product_id
  JOIN tax_group_rates g ON g.tax_group_id = p.tax_group_id AND g.sort_order = 0 JOIN tax_rates r ON r.id = g.tax_rate_id
WHERE l.sale_id LIKE 'bench-sale-%';
UPDATE sales SET subtotal = x.net, tax_total = x.tax, grand_total = x.gross, total_due = x.gross, paid_total = x.gross, discount_total = x.discount
FROM (SELECT sale_id, sum(net) AS net, sum(tax) AS tax, sum(gross) AS gross, sum(discount) AS discount FROM sale_lines WHERE sale_id LIKE 'bench-sale-%' GROUP BY sale_id) x
WHERE sales.id = x.sale_id;
INSERT INTO sale_payments (id, tenant_id, sale_id, line_no, tender_id, tender_code, is_cash, amount, reference)
SELECT 'bench-pay-' || s.id, s.tenant_id, s.id, 1, t.id, t.code, t.is_cash, s.total_due, NULL
FROM sales s JOIN tenders t ON t.tenant_id = s.tenant_id AND t.code = CASE WHEN s.sold_at % 3 = 0 THEN 'CASH' ELSE 'CARD' END
WHERE s.id LIKE 'bench-sale-%';
DROP TABLE bench_products;
DROP TABLE bench_cashiers;
`;
}

async function healthy(base, up) {
  for (let i = 0; i < 240; i++) {
    const ok = await fetch(`${base}/health`).then((r) => r.ok, () => false);
    if (ok === up) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not ${up ? "start" : "stop"}`);
}

/**
 * wrangler dev holds the local D1 open, so the generated sales go in while it is stopped: stop it, write them,
 * start it again on the same port and database.
 */
export async function benchReports({ base, call, measure, dir, tenantId, storeId, login, server, devArgs }) {
  const backfill = readdirSync(path.join(import.meta.dirname, "../../migrations")).find((f) => f.endsWith("_sales_aggregates_backfill.sql"));
  const file = path.join(dir, "bench-reports.sql");
  writeFileSync(file, `${generationSql(tenantId, storeId, Date.now())}\n${readFileSync(path.join(import.meta.dirname, "../../migrations", backfill), "utf8").replace(/--> statement-breakpoint/g, "")}`);
  process.kill(-server.pid, "SIGTERM");
  await healthy(base, false);
  const started = performance.now();
  execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", dir, "--file", file, "--yes"], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CI: "true" } });
  const generated = ((performance.now() - started) / 1000).toFixed(1);
  const again = spawn("npx", devArgs, { stdio: "ignore", detached: true });
  process.on("exit", () => {
    try {
      process.kill(-again.pid, "SIGTERM");
    } catch {}
  });
  await healthy(base, true);
  const token = (await call("POST", "/api/v1/auth/login", { body: login })).json.data.accessToken;
  const rows = await call("GET", "/api/v1/reports/sales-summary", { token });
  const total = rows.json.data.totals;
  console.log(`\nReports over ${SALES.toLocaleString("en")} generated sales in a year (${total.salesCount} completed, ${total.voidsCount} voided; generated and aggregated in ${generated} s)\n`);
  const year = new Date(Date.now() - 365 * DAY_MS).toISOString().slice(0, 10);
  const reports = [
    "sales-summary", "tax", "inventory-value", "product-performance", "sales-by-period?period=hour", "sales-by-period?period=day", "sales-by-period?period=week",
    "sales-by-period?period=month", "sales-by-rep", "profit-margin", "cashier-performance", "department-sales", "inventory-turnover", "discount-analysis",
  ];
  for (const r of reports) {
    const sep = r.includes("?") ? "&" : "?";
    await measure(`GET /reports/${r}`, 10, () => call("GET", `/api/v1/reports/${r}${sep}date_from=${year}&store_id=${storeId}`, { token }));
  }
  await measure("GET /reports/product-performance (CSV)", 10, async () => {
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/reports/product-performance?store_id=${storeId}`, { headers: { Authorization: `Bearer ${token}`, Accept: "text/csv" } });
    await res.text();
    return { status: res.status, ms: performance.now() - started, d1Count: Number(res.headers.get("Server-Timing")?.match(/count=(\d+)/)?.[1]), d1Ms: 0 };
  });
  for (const r of ["analytics/month?month=" + (new Date().getUTCMonth() + 1), "analytics/hourly?year=2026&month=6&day=15", "stores/dashboard"]) {
    await measure(`GET /${r}`, 10, () => call("GET", `/api/v1/${r}`, { token }));
  }
}
