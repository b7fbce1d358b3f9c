// The two reference passes replay is measured against, over the same files:
//   floor  - read and gunzip every file, nothing else (no pass can do less)
//   naive  - gunzip, JSON.parse every file, filter records by eventName
// Usage: node passes.cjs floor|naive <file-list.txt>
const { readFileSync } = require('node:fs');
const { gunzipSync } = require('node:zlib');

const [mode, listFile] = process.argv.slice(2);
const files = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
const watched = new Set(['CreateDBSecurityGroup', 'CreateCacheSecurityGroup']);
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
process.stdout.write(JSON.stringify({ files: files.length, bytes, records, matched }) + '\n');
