// Preloaded by bench/accounting.py (`node --require` before src/mats/localstack/firestore_emulator.js):
// makes creating a document O(1) instead of O(documents already in its collection).
//
// @firestore-emulator/server 0.3.15 adds a document to a collection with immer's produce(), which
// copies and re-freezes the collection's whole record of documents on every new one: creating a
// document in a collection of 10,000 takes ~55 ms, so loading 100x an accounting's history costs
// hours. Reads, updates of existing documents and queries are untouched (queries still scan and
// sort the whole collection, as the emulator always does; Firestore itself uses its indexes).
"use strict";
const { FirestoreStateCollection, FirestoreStateDocument } = require("@firestore-emulator/server");

FirestoreStateCollection.prototype.getDocument = function getDocument(name) {
  let document = this.documents[name];
  if (document === undefined) {
    // The record immer froze is copied once; after that new documents are added in place.
    if (Object.isFrozen(this.documents)) this.documents = { ...this.documents };
    document = new FirestoreStateDocument(this.emitter, this.database, this, name, {}, {});
    this.documents[name] = document;
  }
  return document;
};
