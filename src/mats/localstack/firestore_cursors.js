// Query cursors and Firestore's order for @firestore-emulator/server, which has neither.
//
// The package sorts by the query's explicit order_by fields only, ignores start_at, end_at and
// offset, and cannot order by __name__. Firestore itself orders by the explicit fields, then by
// document name in the direction of the last one, and applies the cursors (whose values follow
// that order, __name__ included, as the client libraries send them) before offset and limit.
// `withCursors(FirestoreState)` makes the package's queries do the same, so code that pages with
// start_after behaves locally as it will against Firestore.
"use strict";

const ASCENDING = 1;
const DESCENDING = 2;
const NAME = "__name__";
// Firestore's order of value types.
const TYPE_ORDER = [
  "null_value",
  "boolean_value",
  "number",
  "timestamp_value",
  "string_value",
  "bytes_value",
  "reference_value",
  "geo_point_value",
  "array_value",
  "map_value",
];

function kindOf(value) {
  for (const key of Object.keys(value)) {
    if (key === "integer_value" || key === "double_value") return "number";
    if (TYPE_ORDER.includes(key)) return key;
  }
  throw new Error(`a cursor value of no known type: ${JSON.stringify(value)}`);
}

function numberOf(value) {
  return Number(value.integer_value ?? value.double_value ?? 0);
}

function compareValues(a, b) {
  const kindA = kindOf(a);
  const kindB = kindOf(b);
  if (kindA !== kindB) return TYPE_ORDER.indexOf(kindA) - TYPE_ORDER.indexOf(kindB);
  switch (kindA) {
    case "null_value":
      return 0;
    case "boolean_value":
      return Number(Boolean(a.boolean_value)) - Number(Boolean(b.boolean_value));
    case "number":
      return Math.sign(numberOf(a) - numberOf(b));
    case "timestamp_value": {
      const seconds = Number(a.timestamp_value.seconds ?? 0) - Number(b.timestamp_value.seconds ?? 0);
      if (seconds !== 0) return Math.sign(seconds);
      return Math.sign(Number(a.timestamp_value.nanos ?? 0) - Number(b.timestamp_value.nanos ?? 0));
    }
    case "string_value":
    case "reference_value":
      return compareText(a[kindA], b[kindA]);
    default:
      return compareText(JSON.stringify(a), JSON.stringify(b));
  }
}

function compareText(a, b) {
  // Firestore compares strings by their UTF-8 bytes.
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function orderOf(query) {
  const orders = query.order_by.map((order) => ({
    path: order.field.field_path,
    direction: order.direction === DESCENDING ? DESCENDING : ASCENDING,
  }));
  if (!orders.some((order) => order.path === NAME)) {
    const last = orders.length ? orders[orders.length - 1].direction : ASCENDING;
    orders.push({ path: NAME, direction: last });
  }
  return orders;
}

// A cursor's value as a plain object of its one set field (toObject() fills in every field).
const VALUE_FIELDS = [
  "null_value",
  "boolean_value",
  "integer_value",
  "double_value",
  "timestamp_value",
  "string_value",
  "bytes_value",
  "reference_value",
  "geo_point_value",
  "array_value",
  "map_value",
];

function plainValue(value) {
  for (const key of VALUE_FIELDS) {
    if (value[`has_${key}`]) {
      const held = value[key];
      return { [key]: held && typeof held.toObject === "function" ? held.toObject() : held };
    }
  }
  return { null_value: 0 };
}

function valueAt(document, path) {
  if (path === NAME) return { reference_value: document.getPath() };
  const field = document.getField(path);
  return field ? field.toV1ValueObject() : null;
}

function compareDocuments(a, b, orders) {
  for (const { path, direction } of orders) {
    const left = valueAt(a, path);
    const right = valueAt(b, path);
    if (!left || !right) {
      if (left || right) return left ? -1 : 1;
      continue;
    }
    const order = compareValues(left, right);
    if (order !== 0) return direction === DESCENDING ? -order : order;
  }
  return 0;
}

// Where `document` stands against a cursor: negative before it, 0 at it, positive after it.
function againstCursor(document, cursor, orders) {
  const values = cursor.values.map(plainValue);
  for (let index = 0; index < values.length && index < orders.length; index += 1) {
    const { path, direction } = orders[index];
    const own = valueAt(document, path);
    if (!own) return -1;
    const order = compareValues(own, values[index]);
    if (order !== 0) return direction === DESCENDING ? -order : order;
  }
  return 0;
}

function withCursors(FirestoreState) {
  const query = FirestoreState.prototype.v1Query;
  FirestoreState.prototype.v1Query = function v1QueryWithCursors(parent, structured) {
    const limit = structured.has_limit ? structured.limit.value : null;
    const offset = structured.offset || 0;
    const start = structured.has_start_at ? structured.start_at : null;
    const end = structured.has_end_at ? structured.end_at : null;
    const orders = orderOf(structured);
    // The package filters and sorts; the order's tie-break, the cursors, offset and limit are ours.
    const unlimited = structured.clone();
    unlimited.limit = undefined;
    let documents = query.call(this, parent, unlimited).slice();
    documents.sort((a, b) => compareDocuments(a, b, orders));
    if (start) {
      // before: the cursor's own document is included (start_at); otherwise not (start_after).
      documents = documents.filter((d) => {
        const at = againstCursor(d, start, orders);
        return start.before ? at >= 0 : at > 0;
      });
    }
    if (end) {
      // before: the cursor's own document is excluded (end_before); otherwise not (end_at).
      documents = documents.filter((d) => {
        const at = againstCursor(d, end, orders);
        return end.before ? at < 0 : at <= 0;
      });
    }
    documents = documents.slice(offset);
    return limit === null ? documents : documents.slice(0, limit);
  };
}

module.exports = { withCursors };
