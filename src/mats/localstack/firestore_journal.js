// Keeps the Firestore emulator's documents in a directory, so they outlive the process.
//
// journal.jsonl: one JSON line per document change, written synchronously from the emulator's
// own change events. Those fire inside Commit, before its gRPC answer is sent, so a write a
// client saw succeed is in the file (the kernel's page cache) even if the process is SIGKILLed
// the next instant. Records hold the whole document, so replaying one twice changes nothing:
//   {"op":"put","path":"projects/p/databases/(default)/documents/c/d","created":MS,"updated":MS,
//    "fields":{"name":{"string_value":"x"},...}}        (fields as v1 Value objects)
//   {"op":"delete","path":"..."}
// snapshot.jsonl: "put" records of every document at the last compaction. Start-up replays the
// snapshot, then the journal, then writes a new snapshot and empties the journal; a journal past
// COMPACT_AFTER_BYTES is compacted the same way between requests.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { Write } = require("@firestore-emulator/proto/dist/google/firestore/v1/write");

const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

class DocumentJournal {
  constructor(state, directory) {
    this.state = state;
    this.directory = directory;
    this.journalPath = path.join(directory, "journal.jsonl");
    this.snapshotPath = path.join(directory, "snapshot.jsonl");
    this.documents = new Map(); // path -> FirestoreStateDocument that exists
    this.journal = null;
    this.journalBytes = 0;
    this.compacting = false;
  }

  // Load what was kept, compact it, and journal every change from now on.
  open() {
    fs.mkdirSync(this.directory, { recursive: true });
    const kept = new Map();
    const skipped = replay(this.snapshotPath, kept) + replay(this.journalPath, kept);
    for (const record of kept.values()) this.restore(record);
    this.journal = fs.openSync(this.journalPath, "a");
    this.compact();
    const emitter = this.state.emitter;
    for (const event of ["create-document", "update-document"]) {
      emitter.on(event, ({ document }) => this.put(document));
    }
    emitter.on("delete-document", ({ document }) => this.remove(document));
    emitter.on("clear-all-projects", () => this.clear());
    return { documents: this.documents.size, skipped };
  }

  // Through the emulator's own write path: its field classes are private to its bundle (a copy
  // from another module would never compare equal in a query).
  restore(record) {
    const fields = Object.fromEntries(
      Object.entries(record.fields).map(([key, value]) => [key, decode(value)]),
    );
    const write = Write.fromObject({ update: { name: record.path, fields } });
    this.state.writeV1Document(new Date(record.created), write);
    const document = this.state.getDocument(record.path);
    document.metadata = {
      hasExist: true,
      createdAt: new Date(record.created),
      updatedAt: new Date(record.updated),
    };
    this.documents.set(record.path, document);
  }

  put(document) {
    this.documents.set(document.getPath(), document);
    this.append(putRecord(document));
  }

  remove(document) {
    this.documents.delete(document.getPath());
    this.append({ op: "delete", path: document.getPath() });
  }

  clear() {
    this.documents.clear();
    this.compact();
  }

  append(record) {
    const line = `${JSON.stringify(record)}\n`;
    fs.writeSync(this.journal, line);
    this.journalBytes += Buffer.byteLength(line);
    if (this.journalBytes > COMPACT_AFTER_BYTES && !this.compacting) {
      this.compacting = true;
      // Between requests: the snapshot then holds every change the journal does.
      setImmediate(() => this.compact());
    }
  }

  // Write every document to a new snapshot, then empty the journal. A crash in between only
  // means the old journal is replayed over the new snapshot, which changes nothing.
  compact() {
    const temporary = `${this.snapshotPath}.tmp`;
    const file = fs.openSync(temporary, "w");
    let chunk = "";
    for (const document of this.documents.values()) {
      chunk += `${JSON.stringify(putRecord(document))}\n`;
      if (chunk.length > 1 << 20) {
        fs.writeSync(file, chunk);
        chunk = "";
      }
    }
    fs.writeSync(file, chunk);
    fs.fsyncSync(file);
    fs.closeSync(file);
    fs.renameSync(temporary, this.snapshotPath);
    fs.ftruncateSync(this.journal, 0);
    this.journalBytes = 0;
    this.compacting = false;
  }
}

// Fold a JSON-lines file into `kept` (path -> put record); return the lines that did not parse
// (a line cut short by a crash of the machine, not of the process, can only be the last one).
function replay(file, kept) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return 0;
    throw error;
  }
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (!line) continue;
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      skipped += 1;
      continue;
    }
    if (record.op === "delete") kept.delete(record.path);
    else kept.set(record.path, record);
  }
  return skipped;
}

function putRecord(document) {
  // The emulator offers its fields only as protobuf Documents (costly per write) or as this
  // object; it is the same data toV1Document() serialises.
  const fields = Object.fromEntries(
    Object.entries(document.fields).map(([key, field]) => [key, encode(field.toV1ValueObject())]),
  );
  const { createdAt, updatedAt } = document.metadata;
  return {
    op: "put",
    path: document.getPath(),
    created: createdAt.getTime(),
    updated: updatedAt.getTime(),
    fields,
  };
}

// A v1 Value object as JSON can hold it: bytes as base64, doubles JSON has no literal for as
// strings. Map keys are the document's own names, so only Value fields are looked at.
function encode(value) {
  if (value.map_value) {
    const fields = value.map_value.fields || {};
    return {
      map_value: {
        fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, encode(v)])),
      },
    };
  }
  if (value.array_value) return { array_value: { values: (value.array_value.values || []).map(encode) } };
  if (value.bytes_value !== undefined) {
    return { bytes_value: Buffer.from(value.bytes_value).toString("base64") };
  }
  if (value.double_value !== undefined) {
    const number = value.double_value;
    const exact = Number.isFinite(number) && !Object.is(number, -0);
    return { double_value: exact ? number : String(number === 0 ? "-0" : number) };
  }
  return value;
}

function decode(value) {
  if (value.map_value) {
    const fields = value.map_value.fields;
    return {
      map_value: {
        fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, decode(v)])),
      },
    };
  }
  if (value.array_value) return { array_value: { values: value.array_value.values.map(decode) } };
  if (value.bytes_value !== undefined) return { bytes_value: Buffer.from(value.bytes_value, "base64") };
  if (typeof value.double_value === "string") return { double_value: Number(value.double_value) };
  return value;
}

module.exports = { DocumentJournal };
