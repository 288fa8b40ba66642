/**
 * The demo catalogue, loaded through the API by `npm run dev` after the demo tenant exists: departments, VAT
 * 25 / 12 / 6 % (Swedish moms), 50+ products with EAN-13 barcodes, a supplier, a store price override in
 * S002, a special running now, the SWISH and GIFT tenders (CASH and CARD come with every new tenant), and a gift card.
 */

/** EAN-13 with its check digit, from a 12-digit body (735 = GS1 Sweden). */
export function ean13(body12) {
  const digits = [...body12].map(Number);
  const sum = digits.reduce((acc, d, i) => acc + d * (i % 2 === 0 ? 1 : 3), 0);
  return body12 + ((10 - (sum % 10)) % 10);
}

const VAT = [
  { name: "Moms 25 %", rate: 2500, group: "Standard 25 %" },
  { name: "Moms 12 %", rate: 1200, group: "Livsmedel 12 %" },
  { name: "Moms 6 %", rate: 600, group: "Böcker och tidningar 6 %" },
];

// [department, VAT group, [name, price in öre], ...]
const CATALOGUE = [
  ["Kaffe & te", "Livsmedel 12 %", [["Kaffe bryggt", 3500], ["Kaffe refill", 1500], ["Espresso", 3200], ["Cappuccino", 4200], ["Caffè latte", 4500], ["Te", 3000], ["Chai latte", 4800], ["Varm choklad", 3900]]],
  ["Bageri", "Livsmedel 12 %", [["Kanelbulle", 3200], ["Kardemummabulle", 3400], ["Chokladboll", 2500], ["Croissant", 2900], ["Mazarin", 2800], ["Prinsesstårta bit", 5900], ["Semla", 4900], ["Lussekatt", 2900], ["Rågbröd", 4500], ["Surdegsbröd", 5900]]],
  ["Smörgåsar", "Livsmedel 12 %", [["Smörgås", 6500], ["Smörgås räkor", 8900], ["Smörgås kyckling", 7500], ["Smörgås vegansk", 6900], ["Wrap falafel", 7900], ["Toast skagen", 9900], ["Fralla ost", 3900]]],
  ["Drycker", "Livsmedel 12 %", [["Äppeljuice", 2500], ["Apelsinjuice", 2500], ["Mineralvatten", 2000], ["Lingondricka", 2200], ["Julmust 33 cl", 2200], ["Kombucha", 3900], ["Iskaffe", 4200], ["Smoothie jordgubb", 4900]]],
  ["Mejeri", "Livsmedel 12 %", [["Mjölk 1 l", 1790], ["Havredryck 1 l", 2490], ["Filmjölk 1 l", 1990], ["Yoghurt vanilj", 1590], ["Smör 500 g", 5990], ["Ost Präst 1 kg", 12990]]],
  ["Frukt", "Livsmedel 12 %", [["Banan", 500], ["Äpple Ingrid Marie", 700], ["Päron", 800], ["Apelsin", 900], ["Clementiner nät", 3990]]],
  ["Godis", "Livsmedel 12 %", [["Marabou mjölkchoklad", 2990], ["Lösgodis 100 g", 1290], ["Lakritspipa", 500], ["Polkagris", 1500]]],
  ["Böcker & tidningar", "Böcker och tidningar 6 %", [["Dagstidning", 3500], ["Veckotidning", 5900], ["Pocketbok", 12900], ["Korsordstidning", 4900]]],
  ["Presentartiklar", "Standard 25 %", [["Termosmugg", 24900], ["Kaffekopp", 12900], ["Tygkasse", 4900], ["Presentkort", 0], ["Kaffebönor 500 g", 11900]]],
];

/** `call(method, path, { token, body })` answers the envelope, throwing on an error status. */
export async function seedCatalogue(call, token, log = console.log) {
  const existing = await call("GET", "/api/v1/products?pageSize=1", { token });
  if (existing.total > 0) return;

  const rateIds = {};
  for (const v of VAT) rateIds[v.group] = (await call("POST", "/api/v1/taxes", { token, body: { name: v.name, rate: v.rate } })).data.id;
  const groupIds = {};
  for (const v of VAT) groupIds[v.group] = (await call("POST", "/api/v1/taxes/groups", { token, body: { name: v.group, taxRateIds: [rateIds[v.group]] } })).data.id;

  const supplier = (await call("POST", "/api/v1/suppliers", { token, body: { name: "Gevalia Storhushåll", code: "GEV", contactName: "Eva Ek", email: "order@gevalia.example", phone: "+46 8 123 45 67" } })).data;

  const products = {};
  let n = 0;
  for (const [department, group, items] of CATALOGUE) {
    const departmentId = (await call("POST", "/api/v1/departments", { token, body: { name: department } })).data.id;
    for (const [name, price] of items) {
      n += 1;
      const sku = `${department.slice(0, 3).toUpperCase().replace(/[^A-Z]/g, "X")}-${String(n).padStart(3, "0")}`;
      const product = await call("POST", "/api/v1/products", {
        token,
        body: { sku, barcode: ean13(`7350000${String(10000 + n).slice(-5)}`), name, departmentId, taxGroupId: groupIds[group], sellPrice: price, costPrice: Math.round(price * 0.4) },
      });
      products[name] = product.data;
    }
  }
  log(`demo: created ${n} products in ${CATALOGUE.length} departments with VAT 25/12/6 %`);

  await call("POST", `/api/v1/products/${products["Kaffebönor 500 g"].id}/suppliers`, { token, body: { supplierId: supplier.id, supplierSku: "GEV-500", costPrice: 6500, isPrimary: true } });
  await call("POST", `/api/v1/products/${products["Kaffe bryggt"].id}/suppliers`, { token, body: { supplierId: supplier.id, supplierSku: "GEV-BRYGG", costPrice: 300 } });

  const stores = (await call("GET", "/api/v1/stores", { token })).data;
  const s002 = stores.find((s) => s.code === "S002");
  await call("POST", "/api/v1/store-prices", { token, body: { storeId: s002.id, productId: products["Kaffe bryggt"].id, price: 3900 } });

  // A special that is on now and for the next year, in every store: 20 % off buns.
  const local = (d) => d.toISOString().slice(0, 16);
  const now = new Date();
  await call("POST", "/api/v1/specials", {
    token,
    body: {
      name: "Fikadeal: 20 % på bullar",
      kind: "percent",
      value: 2000,
      productIds: [products["Kanelbulle"].id, products["Kardemummabulle"].id],
      departmentId: null,
      storeIds: [],
      startsAt: local(new Date(now.getTime() - 2 * 86_400_000)),
      endsAt: local(new Date(now.getTime() + 365 * 86_400_000)),
      isActive: true,
    },
  });
  await call("POST", "/api/v1/tenders", { token, body: { code: "SWISH", name: "Swish", kind: "mobile", sortOrder: 2 } });
  // Gift cards are paid with a tender of kind gift_card; a demo card with 500 kr on it (its id makes a rerun a retry).
  await call("POST", "/api/v1/tenders", { token, body: { code: "GIFT", name: "Presentkort", kind: "gift_card", sortOrder: 3 } });
  await call("POST", "/api/v1/gift-cards", {
    token,
    body: { id: "6f1c2a9e-0000-4000-8000-000000000001", codes: [{ kind: "PHYSICAL", code: "DEMO-GIFT-0001", pin: "2468" }], initialAmount: 50000, reference: "Demo card" },
  });
  // A Swedish shop's receipts say Kontant and Kort.
  const tenders = (await call("GET", "/api/v1/tenders?pageSize=200", { token })).data;
  for (const [code, name] of [["CASH", "Kontant"], ["CARD", "Kort"]]) {
    const tender = tenders.find((t) => t.code === code);
    if (tender) await call("PUT", `/api/v1/tenders/${tender.id}`, { token, body: { name, version: tender.version } });
  }
  log("demo: supplier, S002 price for Kaffe bryggt (39 kr), special on buns, tenders SWISH, GIFT, Kontant and Kort, gift card DEMO-GIFT-0001 (PIN 2468, 500 kr)");
}
