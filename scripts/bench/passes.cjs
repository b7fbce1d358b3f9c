// The reference passes replay is measured against, over the same files:
//   floor   - read and gunzip every file, nothing else (no pass can do less)
//   floor2  - the floor on two threads, each taking every other file: the most any
//             two-thread replay can gain on the machine it runs on
//   naive   - gunzip, JSON.parse every file, filter records by eventName
// Usage: node passes.cjs floor|floor2|naive <file-list.txt>
const { readFileSync } = require('node:fs');
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
const { gunzipSync } = require('node:zlib');

const watched = new Set(['CreateDBSecurityGroup', 'CreateCacheSecurityGroup']);

function pass(mode, files) {
  let bytes = 0;
  let records = 0;
  let matched = 0;
  for (const file of files) {
    const raw = gunzipSync(readFileSync(file));
    bytes += raw.length;
    if (mode === 'naive') {
      for (const record of JSON.parse(raw.toString('utf8')).Records) {
        records += 1;
        if (watched.has(record.eventName)) matched += 1;
      }
    }
  }
  return { files: files.length, bytes, records, matched };
}

if (!isMainThread) {
  parentPort.postMessage(pass('floor', workerData));
} else {
  const [mode, listFile] = process.argv.slice(2);
  const files = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  if (mode === 'floor2') {
    const worker = new Worker(__filename, { workerData: files.filter((_, i) => i % 2 === 1) });
    const here = pass(
      'floor',
      files.filter((_, i) => i % 2 === 0),
    );
    worker.once('message', (there) => {
      const total = {
        files: files.length,
        bytes: here.bytes + there.bytes,
        records: 0,
        matched: 0,
      };
      process.stdout.write(JSON.stringify(total) + '\n');
    });
  } else {
    process.stdout.write(JSON.stringify(pass(mode, files)) + '\n');
  }
}
