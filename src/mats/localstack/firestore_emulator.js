// The Firestore emulator for the MATS local stack: @firestore-emulator/server bound to loopback.
// Usage: node firestore_emulator.js PORT [CONTROL_PORT]   (0 picks a free port)
// Prints {"ready": true, "port": N, "control_port": M} once listening. POST /reset on the HTTP
// control port clears all data (tests use it between cases).
"use strict";
const http = require("node:http");
const { FirestoreServer } = require("@firestore-emulator/server");
const { ServerCredentials } = require("@grpc/grpc-js");

const requested = Number(process.argv[2] || 0);
const controlPort = Number(process.argv[3] || 0);
const emulator = new FirestoreServer();

// FirestoreServer.start() binds 0.0.0.0; bind its gRPC server to loopback ourselves instead.
emulator.server.bindAsync(`127.0.0.1:${requested}`, ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(JSON.stringify({ severity: "ERROR", message: `cannot listen: ${error.message}` }));
    process.exit(1);
  }
  const control = http.createServer((request, response) => {
    if (request.method === "POST" && request.url === "/reset") {
      emulator.state.clear();
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end('{"reset":true}');
      return;
    }
    response.writeHead(request.url === "/" ? 200 : 404);
    response.end(request.url === "/" ? "Ok" : "");
  });
  control.listen(controlPort, "127.0.0.1", () => {
    console.log(JSON.stringify({ ready: true, port, control_port: control.address().port }));
  });
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    emulator.server.forceShutdown();
    process.exit(0);
  });
}
