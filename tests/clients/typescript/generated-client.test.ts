// A test a TypeScript team would write, with the types openapi-typescript
// generates from /__sandbox/openapi.json and openapi-fetch calling with them
// (see docs/testing-in-ci.md). Run by tests/clients/generated-clients.sh,
// which generates `schema.d.ts`, starts a fresh paysandbox and sets
// PAYSANDBOX_URL; `tsc` checks every call against the document first.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

const baseUrl = process.env.PAYSANDBOX_URL;
assert.ok(baseUrl, "PAYSANDBOX_URL is set");
const sandbox = createClient<paths>({ baseUrl });

type Payment = components["schemas"]["CreatePaymentRequest"];
const payment = (payment_id: string): Payment => ({
  currency: "RUB",
  amount: "112.50",
  payment_method: "CreditCard",
  payment_id,
  return_success_url: "https://shop.example/ok",
  customer: { email: "buyer@example.com", first_name: "Ivan", last_name: "Petrov" },
});

// A workspace of this test's own, with its credentials.
const name = `ts-${randomUUID().slice(0, 12)}`;
const created = await sandbox.POST("/__sandbox/workspaces", { body: { name } });
assert.equal(created.response.status, 201);
const workspace = created.data;
assert.ok(workspace, JSON.stringify(created.error));
const merchant = { headers: { Authorization: `Bearer ${workspace.softline.token}` } };
const inWorkspace = { path: { name } };

try {
  const first = await sandbox.POST("/softline/v1/payment", { ...merchant, body: payment("TS-1") });
  assert.ok(first.data, JSON.stringify(first.error));
  assert.ok(first.data.payment_url.startsWith(workspace.softline.base_url));

  const taken = await sandbox.POST("/__sandbox/workspaces/{name}/snapshots", {
    params: inWorkspace,
    body: { name: "one-payment" },
  });
  assert.equal(taken.response.status, 201);

  const armed = await sandbox.POST("/__sandbox/workspaces/{name}/scenarios", {
    params: inWorkspace,
    body: { id: "softline.create_payment.6090", match: { payment_id: "TS-2" } },
  });
  assert.equal(armed.response.status, 201);
  const refused = await sandbox.POST("/softline/v1/payment", { ...merchant, body: payment("TS-2") });
  assert.equal(refused.response.status, 400);
  assert.deepEqual(refused.error?.errors.map((e) => e.error), [6090]);

  const journal = await sandbox.GET("/__sandbox/workspaces/{name}/journal", { params: inWorkspace });
  assert.ok(journal.data, JSON.stringify(journal.error));
  const entries = journal.data.entries;
  assert.deepEqual(
    entries.filter((e) => e.provider === "softline").map((e) => [e.url, e.status]),
    [["/softline/v1/payment", 200], ["/softline/v1/payment", 400]],
  );

  const second = await sandbox.POST("/softline/v1/payment", { ...merchant, body: payment("TS-3") });
  assert.ok(second.data);
  const restored = await sandbox.POST("/__sandbox/workspaces/{name}/snapshots/{snapshot}/restore", {
    params: { path: { name, snapshot: "one-payment" } },
  });
  assert.equal(restored.response.status, 200);
  const kept = await sandbox.GET("/softline/v1/order/{order_id}", {
    ...merchant,
    params: { path: { order_id: first.data.order_id } },
  });
  assert.equal(kept.response.status, 200);
  const gone = await sandbox.GET("/softline/v1/order/{order_id}", {
    ...merchant,
    params: { path: { order_id: second.data.order_id } },
  });
  assert.equal(gone.response.status, 404);
  console.log("generated TypeScript client: ok");
} finally {
  await sandbox.DELETE("/__sandbox/workspaces/{name}", { params: inWorkspace });
}
