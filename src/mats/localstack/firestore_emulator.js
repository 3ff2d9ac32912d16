// The Firestore emulator for the MATS local stack: @firestore-emulator/server bound to loopback.
// Usage: node firestore_emulator.js PORT [CONTROL_PORT [DATA_DIR]]   (0 picks a free port)
// With DATA_DIR the documents are kept there (firestore_journal.js) and restored on start.
// Queries page with cursors (start_at/start_after/end_at/end_before, offset) as Firestore does
// (firestore_cursors.js).
// Prints {"ready": true, "port": N, "control_port": M, "documents": D} once listening. On the HTTP
// control port: GET / answers Ok; GET /stats {"documents": D}; GET /documents {path: update time
// in ms} of every kept document; POST /reset clears all data, the kept data included (tests use
// it between cases).
"use strict";
const http = require("node:http");
const { FirestoreServer, FirestoreState } = require("@firestore-emulator/server");
const { ServerCredentials } = require("@grpc/grpc-js");
const { DocumentJournal } = require("./firestore_journal");
const { withCursors } = require("./firestore_cursors");

withCursors(FirestoreState); // Cursors and Firestore's order by name, which the package lacks.

const requested = Number(process.argv[2] || 0);
const controlPort = Number(process.argv[3] || 0);
const dataDir = process.argv[4];
const emulator = new FirestoreServer();
// Restore before listening: no client may see a half-restored database.
const journal = dataDir ? new DocumentJournal(emulator.state, dataDir) : null;
const restored = journal ? journal.open() : { documents: 0, skipped: 0 };
if (restored.skipped) {
  const message = `${restored.skipped} unreadable journal line(s) skipped`;
  console.error(JSON.stringify({ severity: "WARNING", message }));
}

function json(response, status, body) {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

// FirestoreServer.start() binds 0.0.0.0; bind its gRPC server to loopback ourselves instead.
emulator.server.bindAsync(`127.0.0.1:${requested}`, ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(JSON.stringify({ severity: "ERROR", message: `cannot listen: ${error.message}` }));
    process.exit(1);
  }
  const control = http.createServer((request, response) => {
    if (request.method === "POST" && request.url === "/reset") {
      emulator.state.clear();
      json(response, 200, { reset: true });
    } else if (request.url === "/stats") {
      json(response, 200, { documents: journal ? journal.documents.size : null });
    } else if (request.url === "/documents" && journal) {
      const updated = [...journal.documents].map(([key, doc]) => [key, doc.metadata.updatedAt.getTime()]);
      json(response, 200, Object.fromEntries(updated));
    } else {
      response.writeHead(request.url === "/" ? 200 : 404);
      response.end(request.url === "/" ? "Ok" : "");
    }
  });
  control.on("error", (failure) => {
    console.error(JSON.stringify({ severity: "ERROR", message: `cannot listen: ${failure.message}` }));
    process.exit(1);
  });
  control.listen(controlPort, "127.0.0.1", () => {
    const ready = { ready: true, port, control_port: control.address().port };
    console.log(JSON.stringify({ ...ready, documents: restored.documents }));
  });
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    emulator.server.forceShutdown();
    process.exit(0);
  });
}
