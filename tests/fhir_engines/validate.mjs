#!/usr/bin/env node
// Validate FHIR R4 JSON (bundles, single resources, Bulk NDJSON, folders of them) against hl7.fhir.r4.core
// 4.0.1 and the profiles the resources claim. Prints a JSON array of findings
// {severity, resourceType, id, fileEntry, path, rule, message[, profile]} on stdout.
//
//   node validate.mjs [--definitions DIR]... [--cache DIR] [--root DIR] [--summary] PATH...
//
// --definitions: a folder of extra StructureDefinitions/ValueSets/CodeSystems (validated too).
// --summary: counts by severity, rule and resource type instead of the findings.
// Exit status: 0 when no finding is an error, 1 when some are, 2 when the run itself failed.
import path from 'node:path';
import { ENGINES_DIR } from './lib/packages.mjs';
import { validatePaths } from './lib/runner.mjs';

function parseArguments(argv) {
  const options = { paths: [], definitionDirs: [], cacheDir: path.join(ENGINES_DIR, '.cache'), summary: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--definitions') options.definitionDirs.push(argv[++i]);
    else if (arg === '--cache') options.cacheDir = argv[++i];
    else if (arg === '--root') options.displayRoot = argv[++i];
    else if (arg === '--summary') options.summary = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else options.paths.push(arg);
  }
  if (!options.paths.length && !options.definitionDirs.length) throw new Error('give at least one file or folder to validate');
  return options;
}

function summarise(findings) {
  const counts = {};
  for (const f of findings) {
    const key = `${f.severity}\t${f.rule}\t${f.resourceType ?? '-'}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.entries(counts).sort().map(([key, count]) => {
    const [severity, rule, resourceType] = key.split('\t');
    return { severity, rule, resourceType, count };
  });
}

try {
  const options = parseArguments(process.argv.slice(2));
  const { findings } = validatePaths(options.paths, options);
  process.stdout.write(JSON.stringify(options.summary ? summarise(findings) : findings, null, 1) + '\n');
  process.exitCode = findings.some((f) => f.severity === 'error') ? 1 : 0;
} catch (problem) {
  process.stderr.write(`validate.mjs: ${problem.stack ?? problem}\n`);
  process.exitCode = 2;
}
