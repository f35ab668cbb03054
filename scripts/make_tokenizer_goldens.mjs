// Generates the tokenizer parity goldens in tests/data/tokenizer/ from
// implementations we did not write: tiktoken (npm; WASM build of OpenAI's
// Rust tokenizer, encoding "gpt2") is the reference; gpt-tokenizer and
// js-tiktoken are cross-checked and their disagreements recorded.
//
//   cd scripts && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional && node make_tokenizer_goldens.mjs
//
// Needs the Debian packages bible-kjv, fortunes (fortune-mod data) and the
// translated man pages (manpages-de/fr/ru/ja/...); sources that are missing
// are reported and skipped, and the summary lists what went in.
//
// Output format (*.bin, little-endian), read by tests/test_tokenizer.cpp:
//   "GTG1", then per case: u8 flags (bit 0: encoded with <|endoftext|>
//   allowed), u16 name length, name (UTF-8), u32 text length, text bytes,
//   u32 id count, ids as u16 (GPT-2 ids are < 65536).
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { get_encoding } from 'tiktoken';
import * as gptTokenizer from 'gpt-tokenizer/encoding/gpt2';
import { getEncoding } from 'js-tiktoken';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, '..', 'tests', 'data', 'tokenizer');
const versions = Object.fromEntries(['tiktoken', 'gpt-tokenizer', 'js-tiktoken'].map((p) => [p,
  JSON.parse(fs.readFileSync(path.join(here, 'node_modules', p, 'package.json'), 'utf8')).version]));

const tiktoken = get_encoding('gpt2');
const jsTiktoken = getEncoding('gpt2');

// ---- deterministic PRNG (mulberry32) so the corpus is reproducible
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sh(cmd) {
  try {
    return execSync(cmd, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'], shell: '/bin/bash' });
  } catch {
    return '';
  }
}

const missing = [];
function source(name, text) {
  if (!text) missing.push(name);
  return text || '';
}

// Keeps every k-th non-empty line until `budget` UTF-8 bytes.
function sampleLines(text, budget, seed) {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const r = rng(seed);
  const picked = [];
  let used = 0;
  const stride = Math.max(1, Math.floor(lines.length / Math.max(1, budget / 60)));
  for (let i = Math.floor(r() * stride); i < lines.length && used < budget; i += stride) {
    picked.push(lines[i]);
    used += Buffer.byteLength(lines[i]) + 1;
  }
  return picked;
}

// ---- the corpus: groups of named cases
const groups = {};
function add(group, name, text, allowSpecial = false) {
  (groups[group] ??= []).push({ name, text, allowSpecial });
}

// English prose: the GPL-3 text, whole and by line, and other licenses.
const gpl3 = source('GPL-3', fs.existsSync('/usr/share/common-licenses/GPL-3') ? fs.readFileSync('/usr/share/common-licenses/GPL-3', 'utf8') : '');
add('whole_files', 'GPL-3 whole file', gpl3);
for (const [i, l] of gpl3.split('\n').entries()) add('english', `GPL-3 line ${i + 1}`, l);
for (const lic of ['Apache-2.0', 'Artistic', 'MPL-2.0', 'GFDL-1.3']) {
  const p = `/usr/share/common-licenses/${lic}`;
  const t = source(lic, fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '');
  for (const [i, l] of sampleLines(t, 20000, 7).entries()) add('english', `${lic} sample ${i}`, l);
}

// Code: C++ headers and Python modules, lines plus one whole file each.
const cxx = source('stl_vector.h', sh('cat /usr/include/c++/12/bits/stl_vector.h'));
add('whole_files', 'stl_vector.h whole file', cxx.slice(0, 60000));
for (const [i, l] of sampleLines(cxx, 40000, 11).entries()) add('code', `stl_vector.h ${i}`, l);
const py = source('python stdlib', sh('cat /usr/lib/python3.11/textwrap.py /usr/lib/python3.11/argparse.py'));
add('whole_files', 'textwrap.py + argparse.py whole', py.slice(0, 80000));
for (const [i, l] of sampleLines(py, 40000, 13).entries()) add('code', `python ${i}`, l);

// The King James Bible (bible-kjv): verses, plus Genesis 1-3 as one text.
const bible = source('bible-kjv', sh('bible "gen1:1-rev22:21"'));
for (const [i, l] of sampleLines(bible, 250000, 17).entries()) add('bible', `kjv ${i}`, l);
add('whole_files', 'KJV Genesis 1-3', source('bible gen1-3', sh('bible "gen1:1-gen3:24"')));

// Fortunes: whole fortunes (multi-line, with tabs and odd spacing).
const fortuneDir = '/usr/share/games/fortunes';
let fortunes = [];
if (fs.existsSync(fortuneDir)) {
  for (const f of fs.readdirSync(fortuneDir).sort()) {
    if (f.includes('.')) continue;
    const p = path.join(fortuneDir, f);
    if (!fs.statSync(p).isFile()) continue;
    fortunes.push(...fs.readFileSync(p, 'utf8').split('\n%\n').map((t) => [f, t]));
  }
}
if (fortunes.length === 0) missing.push('fortunes');
{
  const r = rng(19);
  let used = 0;
  for (let i = 0; i < fortunes.length && used < 200000; ++i) {
    if (r() < 0.12) {
      add('fortunes', `${fortunes[i][0]} #${i}`, fortunes[i][1]);
      used += Buffer.byteLength(fortunes[i][1]);
    }
  }
}

// Man pages in other languages (troff sources, UTF-8).
for (const lang of ['de', 'fr', 'ru', 'ja', 'ko', 'pl', 'es', 'it', 'pt_BR', 'zh_CN', 'cs', 'tr', 'uk']) {
  const dir = `/usr/share/man/${lang}/man1`;
  if (!fs.existsSync(dir)) { missing.push(`man pages ${lang}`); continue; }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.gz')).sort().slice(0, 6);
  let text = '';
  for (const f of files) text += sh(`zcat '${path.join(dir, f)}'`);
  for (const [i, l] of sampleLines(text, 25000, 23).entries()) add('manpages', `${lang} ${i}`, l);
  if (lang === 'ru' && files.length) add('whole_files', `man ru ${files[0]}`, sh(`zcat '${path.join(dir, files[0])}'`));
}

// Scripts and symbols, written out.
const scripts = [
  '日本語のテキストです。東京は日本の首都です。', '中文文本：北京是中国的首都，人口超过两千万。',
  '한국어 텍스트입니다. 서울은 대한민국의 수도입니다.', 'Привет, мир! Съешь же ещё этих мягких французских булок, да выпей чаю.',
  'Українська мова: ґанок, їжак, є.', 'مرحبا بالعالم، هذه جملة عربية.', 'שלום עולם, זה משפט בעברית.',
  'Ελληνικά: Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.', 'हिन्दी पाठ: नमस्ते दुनिया।', 'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ',
  'Tiếng Việt có dấu: Đường phố Hà Nội.', 'Ästhetik, Übermäßig, Straße; naïve café résumé',
  'e\u0301 (combining acute) vs é; a\u0308\u0304 stacked; क्षि', 'ﬁ ligature, Ⅻ roman, ² ½ ³⁄₄ ①②③ ٣٤٥ ߁߂',
  'Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 ❤️ 🧑🏿‍🚀', 'Astral: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 𠀀𠀁𪚥 𐍈𐌰 🂡',
  'Math: ∀x∈ℝ, ∃y: x² + y² ≤ 1 → ∫₀¹ f(x) dx ≈ ∑ᵢ wᵢ', 'Mixed 日本語English123中文456',
  'ʻOkina ʼapostrophe ˈstress ー ゝ 々 〻', 'Zero width: a\u200bb c\u200cd e\u200df \u2060g',
];
for (const [i, t] of scripts.entries()) add('unicode', `script ${i}`, t);

// Whitespace, every kind and combination the pattern treats specially.
const ws = [
  '', ' ', '  ', '\t', '\n', '\r\n', 'a  b', 'a   b', 'a\t\tb', 'a \tb', 'a\t b', 'a\n\nb', 'a \n b',
  'line1\r\nline2\r\n', 'trailing   ', '   leading', ' \u00a0x', 'a\u00a0b', '\u00a0\u00a0a', 'a\u0085b',
  '\u0085\u0085x', 'x \u0085', '\ufeffBOM at start', 'a\ufeffb', ' \ufeff', '\u2028line sep\u2029para',
  'ideographic\u3000space\u3000\u3000x', '\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200ax',
  '\u202f\u205f\u1680x', '\u000b\u000cvertical', ' \t \t x', '\n \n \n', '    def f():\n        return 1\n',
  '\t\t\tindented\n', 'a \u00a0 b', ' !', '  !', ' 1', '  12', ' \u00a0', 'end \n', '\u0085', '\u180e', 'a\u180eb',
];
for (const [i, t] of ws.entries()) add('whitespace', `ws ${i}`, t);

// Digits, punctuation, contractions in every case.
const misc = [
  '1234567890', '3.14159265358979323846', '1,000,000.00', 'x1y22z333', '١٢٣٤٥ ۱۲۳ ๑๒๓', '½ ⅓ ¼',
  '!!!???...', '--==++**', '"quoted" \'single\' `back`', '<html><body class="x">&amp;</body></html>',
  '{"key": [1, 2, {"n": null}]}', 'http://example.com/a?b=c&d=e#f', 'a@b.c', '$100 €200 £300 ¥400',
  '(((nested)))', '...', '—–-', '«»„“”‘’', '<|endoftext|>', 'a<|endoftext|>b', '<|endoftext|><|endoftext|>',
  '<|endoftext', 'endoftext|>', '<|startoftext|>',
];
for (const [i, t] of misc.entries()) add('misc', `misc ${i}`, t);
const contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];
for (const c of contractions) {
  const variants = new Set([c, c.toUpperCase(), c[0] + c[1].toUpperCase() + c.slice(2), c.slice(0, 2) + c.slice(2).toUpperCase()]);
  for (const v of variants) {
    add('contractions', `word${v}`, `word${v}`);
    add('contractions', `${v} alone`, v);
    add('contractions', `${v}x`, `he${v}x and ${v}`);
    add('contractions', `${v} space`, ` ${v} `);
  }
}
add('contractions', 'curly', 'it’s they’re we’ve I’m you’ll she’d don’t');
add('contractions', 'doubled', "'''s ''t 'ss 'lll 'rere 'vee 'd'd");
add('contractions', 'sentence', "I'm sure they're here; we've seen it. Don't! He'll say she'd go. It's JOHN'S CAN'T WE'RE");

// Special-token option: the same strings encoded with <|endoftext|> allowed.
for (const t of ['<|endoftext|>', 'a<|endoftext|>b', 'Hello<|endoftext|> world', ' <|endoftext|> ',
  '<|endoftext|><|endoftext|>', 'x <|endoftext', 'The end.<|endoftext|>\n\nNew doc']) {
  add('special', `special: ${t}`, t, true);
}

// Long runs: no quadratic blow-ups, and BPE on huge pieces.
const r = rng(29);
const letters = 'abcdefghijklmnopqrstuvwxyz';
let word = '';
for (let i = 0; i < 100000; ++i) word += letters[Math.floor(r() * 26)];
add('long', '100,000-letter word', word);
add('long', '100,000 x a', 'a'.repeat(100000));
add('long', '50,000 spaces then x', ' '.repeat(50000) + 'x');
add('long', '20,000 digits', Array.from({ length: 20000 }, () => '0123456789'[Math.floor(r() * 10)]).join(''));
add('long', '20,000 punctuation', Array.from({ length: 20000 }, () => '!@#$%^&*()_+-=[]{};:,./<>?'[Math.floor(r() * 26)]).join(''));
add('long', '10,000 CJK', Array.from({ length: 10000 }, () => String.fromCodePoint(0x4e00 + Math.floor(r() * 20000))).join(''));

// Random strings over a pool chosen to hit every branch of the pattern.
const pool = [' ', ' ', ' ', '\t', '\n', '\r', '\u00a0', '\u0085', '\u3000', '\u2028', '\ufeff', '\u200b',
  "'", "'", 's', 't', 'r', 'e', 'v', 'm', 'l', 'd', 'S', 'T', 'R', 'E', 'a', 'Z', 'é', 'ß', 'я', '日', 'ا',
  '\u0301', '\u0308', '0', '1', '9', '²', '½', 'Ⅻ', '٣', '!', '.', ',', '-', '"', '(', '😀', '👍🏽', '‍', '𝔘',
  '𝟘', '€', '…', '<|endoftext|>'];
for (let i = 0; i < 4000; ++i) {
  const len = 1 + Math.floor(r() * 24);
  let t = '';
  for (let k = 0; k < len; ++k) t += pool[Math.floor(r() * pool.length)];
  add('random', `random ${i}`, t);
}

// ---- encode with all three; tiktoken is the reference
const slow = [];
const disagreements = { 'gpt-tokenizer': [], 'js-tiktoken': [] };
const summary = { versions, reference: 'tiktoken gpt2 encoding', groups: {}, missing_sources: missing };
fs.mkdirSync(outDir, { recursive: true });
function same(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) return false;
  return true;
}
for (const [group, cases] of Object.entries(groups)) {
  const chunks = [Buffer.from('GTG1')];
  let ids = 0, bytes = 0;
  for (const c of cases) {
    const t0 = performance.now();
    const ref = c.allowSpecial ? tiktoken.encode(c.text, 'all') : tiktoken.encode_ordinary(c.text);
    const ms = performance.now() - t0;
    if (ms > 1000) slow.push({ group, name: c.name, bytes: Buffer.byteLength(c.text), tiktoken_ms: Math.round(ms) });
    const roundTrip = Buffer.from(tiktoken.decode(ref)).toString('utf8');
    if (roundTrip !== c.text) throw new Error(`tiktoken does not round-trip ${group}/${c.name}`);
    // The pure-JS tokenizers are quadratic on long pieces (minutes for the
    // 100,000-letter word), so only texts up to 20 KB are cross-checked.
    const others = Buffer.byteLength(c.text) > 20000 ? {} : {
      'gpt-tokenizer': c.allowSpecial ? gptTokenizer.encode(c.text, { allowedSpecial: new Set(['<|endoftext|>']) })
                                      : gptTokenizer.encode(c.text, { disallowedSpecial: new Set() }),
      'js-tiktoken': c.allowSpecial ? jsTiktoken.encode(c.text, 'all') : jsTiktoken.encode(c.text, [], []),
    };
    for (const [lib, got] of Object.entries(others)) {
      if (!same(ref, got)) {
        disagreements[lib].push({ group, name: c.name, text: c.text.length > 80 ? c.text.slice(0, 80) + '…' : c.text });
      }
    }
    const name = Buffer.from(c.name, 'utf8');
    const text = Buffer.from(c.text, 'utf8');
    const head = Buffer.alloc(1 + 2);
    head.writeUInt8(c.allowSpecial ? 1 : 0, 0);
    head.writeUInt16LE(name.length, 1);
    const tlen = Buffer.alloc(4); tlen.writeUInt32LE(text.length, 0);
    const body = Buffer.alloc(4 + 2 * ref.length);
    body.writeUInt32LE(ref.length, 0);
    for (let i = 0; i < ref.length; ++i) body.writeUInt16LE(ref[i], 4 + 2 * i);
    chunks.push(head, name, tlen, text, body);
    ids += ref.length; bytes += text.length;
  }
  fs.writeFileSync(path.join(outDir, `${group}.bin`), Buffer.concat(chunks));
  summary.groups[group] = { cases: cases.length, text_bytes: bytes, ids };
}
summary.disagreements = Object.fromEntries(Object.entries(disagreements).map(([lib, list]) => [lib, {
  count: list.length, first: list.slice(0, 15),
}]));
summary.slow_for_tiktoken = slow;
fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
console.log(JSON.stringify({ groups: summary.groups, missing, disagreements: Object.fromEntries(
  Object.entries(disagreements).map(([k, v]) => [k, v.length])) }, null, 1));
