// Times tiktoken (npm, WASM build of OpenAI's Rust tokenizer, "gpt2") on the
// same text as bench/bench_tokenizer.cpp, and, given the path of that
// benchmark binary, runs it too and prints both side by side with the ratio.
//
//   cd scripts && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional && cd ..
//   node scripts/bench_tiktoken.mjs build/release/bin/bench_tokenizer
//
// Single thread both. The corpus is the natural-language groups of
// tests/data/tokenizer/*.bin (see bench_tokenizer.cpp), whole and per case.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { get_encoding } from 'tiktoken';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(here, '..', 'tests', 'data', 'tokenizer');
const groups = ['whole_files', 'english', 'code', 'bible', 'fortunes', 'manpages', 'unicode', 'whitespace', 'misc', 'contractions'];

function goldenTexts(group) {
  const data = fs.readFileSync(path.join(dataDir, `${group}.bin`));
  if (data.toString('latin1', 0, 4) !== 'GTG1') throw new Error(`bad golden file ${group}`);
  const texts = [];
  let p = 4;
  while (p < data.length) {
    const nameLen = data.readUInt16LE(p + 1);
    p += 3 + nameLen;
    const textLen = data.readUInt32LE(p);
    texts.push(data.subarray(p + 4, p + 4 + textLen));
    p += 4 + textLen;
    p += 4 + 2 * data.readUInt32LE(p);
  }
  return texts;
}

const lineBuffers = groups.flatMap(goldenTexts);
const wholeBuffer = Buffer.concat(lineBuffers.flatMap((b) => [b, Buffer.from('\n')]));
// tiktoken takes JS strings; the conversion is not timed.
const lines = lineBuffers.map((b) => b.toString('utf8'));
const whole = wholeBuffer.toString('utf8');
const lineBytes = lineBuffers.reduce((n, b) => n + b.length, 0);
const MB = 1e6;

const enc = get_encoding('gpt2');

// Best of `reps` timed runs after one warm-up, in seconds.
function best(fn, reps) {
  fn();
  let min = Infinity;
  for (let i = 0; i < reps; ++i) {
    const t0 = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return min;
}

const wholeIds = enc.encode_ordinary(whole);
const tiktoken = {
  encode_whole: wholeBuffer.length / MB / best(() => enc.encode_ordinary(whole), 5),
  encode_lines: lineBytes / MB / best(() => { for (const l of lines) enc.encode_ordinary(l); }, 5),
  decode: wholeBuffer.length / MB / best(() => enc.decode(wholeIds), 5),
};

const result = { corpus_bytes: wholeBuffer.length, strings: lines.length, ids: wholeIds.length, tiktoken_MBps: tiktoken };

const binary = process.argv[2];
if (binary) {
  const out = execFileSync(binary, ['--benchmark_format=json', '--benchmark_filter=BM_EncodeWhole|BM_EncodeLines|BM_Decode(/|$)'],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  const json = JSON.parse(out);
  const ours = {};
  for (const b of json.benchmarks) {
    const key = { BM_EncodeWhole: 'encode_whole', BM_EncodeLines: 'encode_lines', BM_Decode: 'decode' }[b.name.split('/')[0]];
    if (key) ours[key] = b.bytes_per_second / MB;
  }
  result.gpt2_MBps = ours;
  result.ratio = Object.fromEntries(Object.keys(tiktoken).map((k) => [k, ours[k] / tiktoken[k]]));
  if (ours.encode_whole && Math.abs(json.benchmarks[0].text_bytes - wholeBuffer.length) > 0) {
    throw new Error('the two benchmarks did not see the same text');
  }
}

console.log(JSON.stringify(result, (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v), 1));
console.log('\n| measure | gpt2 (MB/s) | tiktoken npm (MB/s) | ratio |\n|---|---:|---:|---:|');
for (const k of Object.keys(tiktoken)) {
  const o = result.gpt2_MBps?.[k];
  console.log(`| ${k} | ${o ? o.toFixed(1) : '-'} | ${tiktoken[k].toFixed(1)} | ${o ? (o / tiktoken[k]).toFixed(1) + 'x' : '-'} |`);
}
