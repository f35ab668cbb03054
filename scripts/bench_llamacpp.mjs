// llama-bench-style throughput of llama.cpp on this machine, driven through the prebuilt
// CPU binaries of the npm package node-llama-cpp. (No llama.cpp executables such as
// llama-bench are published on npm; the package @node-llama-cpp/linux-x64 ships libllama,
// a Node addon and one libggml-cpu-<variant>.so per x86 micro-architecture, and ggml picks
// the best variant for this CPU at load time: the log line is reported as cpu_backend.)
//
// Usage (from scripts/, after `NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional`):
//   node bench_llamacpp.mjs MODEL.gguf [MODEL.gguf ...] [--threads 1,2] [--reps 5]
//        [--tests pp128,pp512,tg128,tg128@512] [--flash-attn] [--json]
//
// Tests, each from an empty KV cache (as llama-bench does):
//   ppN     one decode call of N prompt tokens (batch = ubatch = 512 >= N), logits for the
//           last token only; tokens/s = N / time.
//   tgN     N single-token decode calls, each producing that token's logits;
//           tokens/s = N / time. No sampling: the token ids are fixed, like llama-bench.
//   tgN@P   a P-token prompt is decoded first (untimed), then tgN is timed.
// Each test runs once as warm-up, then --reps times; the median and min-max are reported.
// Token ids come from a fixed-seed generator over the vocabulary (llama-bench also uses
// random tokens); their content does not change the work done.
//
// The decode loop calls node-llama-cpp's native context object directly (initBatch /
// addToBatch / decodeBatch = llama_batch_init + llama_decode), bypassing its JS batching
// queue. Two times are kept per run:
//   wall      JS clock around the loop: includes one N-API async hop per decode call
//             (libuv worker thread + promise), which llama-bench does not pay;
//   internal  llama.cpp's own decode timers (llama_perf_context: prompt eval + eval
//             time), i.e. the time inside llama_decode, as llama-bench sees it.
// plus the process's CPU time (all threads) over the same loop: on a shared machine
// tokens per CPU-second of a 1-thread run is the figure least disturbed by other load
// (ggml's worker threads spin while waiting, so for 2 threads it is about half the rate).
// The table shows "internal" figures; --json has both (and the per-call overhead).

import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {readFileSync} from "node:fs";
import os from "node:os";

function parse_args(argv) {
    const opts = {models: [], threads: [1, 2], reps: 5, tests: ["pp128", "pp512", "tg128", "tg128@512"],
        flash_attn: false, json: false};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        if (a === "--threads") opts.threads = next().split(",").map(Number);
        else if (a === "--reps") opts.reps = Number(next());
        else if (a === "--tests") opts.tests = next().split(",");
        else if (a === "--flash-attn") opts.flash_attn = true;
        else if (a === "--json") opts.json = true;
        else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
        else opts.models.push(a);
    }
    if (opts.models.length === 0)
        throw new Error("usage: node bench_llamacpp.mjs MODEL.gguf [...] [--threads 1,2] [--reps 5] [--tests ...] [--json]");
    if (!Number.isInteger(opts.reps) || opts.reps < 1 || opts.threads.some((t) => !Number.isInteger(t) || t < 1))
        throw new Error("--reps and --threads must be positive integers");
    return opts;
}

function parse_test(name) {
    const m = /^(pp|tg)(\d+)(?:@(\d+))?$/.exec(name);
    if (!m || (m[1] === "pp" && m[3]) || Number(m[2]) < 1 || Number(m[2]) > 512)
        throw new Error(`bad test name ${name} (expected ppN, tgN or tgN@P, 1 <= N <= 512)`);
    return {name, kind: m[1], n: Number(m[2]), prompt: m[3] ? Number(m[3]) : 0};
}

// xorshift32: reproducible token ids without a dependency.
function make_tokens(count, n_vocab, seed) {
    let s = seed >>> 0 || 1;
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
        s ^= s << 13; s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5; s >>>= 0;
        out[i] = s % n_vocab;
    }
    return out;
}

// Collects llama.cpp's log output (delivered asynchronously through node-llama-cpp's logger).
class LogSink {
    constructor() { this.text = ""; }
    push(message) { this.text += message; }
    async flush() { await new Promise((resolve) => setTimeout(resolve, 0)); }
}

// llama.cpp's decode time in seconds (prompt eval + eval) since the previous call: the
// addon's printTimings prints llama_perf_context and then resets it. The log arrives
// asynchronously; "graphs reused" is the last line of the printout.
async function perf_decode_seconds(ctx, sink) {
    sink.text = "";
    ctx.printTimings();
    for (let i = 0; !sink.text.includes("graphs reused"); i++) {
        if (i > 1000) throw new Error(`llama.cpp's perf printout did not arrive: ${sink.text}`);
        await sink.flush();
    }
    const get = (label) => {
        const m = new RegExp(`llama_perf_context_print:\\s+${label} time =\\s*([\\d.]+) ms`).exec(sink.text);
        if (!m) throw new Error(`no '${label} time' in llama.cpp's perf output: ${sink.text}`);
        return Number(m[1]);
    };
    return (get("prompt eval") + get("eval")) / 1e3;
}

async function decode(ctx, seq, pos, tokens) {
    ctx.initBatch(tokens.length);
    ctx.addToBatch(seq, pos, tokens, Uint32Array.of(tokens.length - 1)); // logits of the last token
    await ctx.decodeBatch();
}

async function run_once(ctx, seq, n_ctx, test, tokens, sink) {
    if (!ctx.removeTokenCellsFromSequence(seq, 0, n_ctx)) throw new Error("could not clear the KV cache");
    let pos = 0;
    // The untimed prompt goes in calls of at most 512 tokens (the context's
    // batch size), so tgN@P works for P up to the model's context.
    for (; pos < test.prompt; pos += 512)
        await decode(ctx, seq, pos, tokens.subarray(pos, Math.min(test.prompt, pos + 512)));
    pos = test.prompt;
    await perf_decode_seconds(ctx, sink); // resets the counters
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    if (test.kind === "pp") {
        await decode(ctx, seq, 0, tokens.subarray(0, test.n));
    } else {
        for (let i = 0; i < test.n; i++) await decode(ctx, seq, pos + i, tokens.subarray(pos + i, pos + i + 1));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu_used = process.cpuUsage(cpu0);
    const cpu = (cpu_used.user + cpu_used.system) / 1e6;
    const internal = await perf_decode_seconds(ctx, sink);
    return {wall, internal, cpu};
}

function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summary(values) {
    return {median: median(values), min: Math.min(...values), max: Math.max(...values)};
}

const fmt = (r) => `${r.median.toFixed(1)} (${r.min.toFixed(1)}-${r.max.toFixed(1)})`;

async function main() {
    const opts = parse_args(process.argv.slice(2));
    const tests = opts.tests.map(parse_test);
    const sink = new LogSink();
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.debug,
        logger: (_level, message) => sink.push(message)});
    const pkg = JSON.parse(readFileSync(new URL("./node_modules/node-llama-cpp/package.json", import.meta.url), "utf8"));
    const info = {
        node_llama_cpp: pkg.version,
        llama_cpp_release: llama.llamaCppRelease?.release,
        cpu_backend: null,
        system_info: llama.systemInfo.trim(),
        cpu: os.cpus()[0]?.model,
        load_before: os.loadavg(),
        flash_attn: opts.flash_attn,
        kv_cache: "f16 (llama.cpp default)",
        batch: 512,
        reps: opts.reps,
    };
    const results = [];
    const max_tokens = Math.max(...tests.map((t) => t.n + t.prompt));
    for (const model_path of opts.models) {
        const model = await llama.loadModel({modelPath: model_path, gpuLayers: 0});
        await sink.flush();
        if (info.cpu_backend === null) {
            const m = /loaded CPU backend from \S*libggml-cpu-([\w-]+)\.so/.exec(sink.text);
            info.cpu_backend = m ? m[1] : "unknown (no load_backend line in the log)";
        }
        llama.logLevel = LlamaLogLevel.info; // perf timings are printed at info level
        const n_vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
        const n_ctx_train = model.trainContextSize;
        if (max_tokens > n_ctx_train)
            throw new Error(`${model_path}: the tests need ${max_tokens} positions; the model has ${n_ctx_train}`);
        const tokens = make_tokens(max_tokens, n_vocab, 1234);
        for (const threads of opts.threads) {
            const context = await model.createContext({contextSize: n_ctx_train, batchSize: info.batch, threads,
                flashAttention: opts.flash_attn, sequences: 1, performanceTracking: true});
            const sequence = context.getSequence();
            const ctx = context._ctx; // the native llama_context wrapper
            const seq = sequence._sequenceId;
            ctx.setThreads(threads);
            if (ctx.getThreads() !== threads) throw new Error(`asked for ${threads} threads, context uses ${ctx.getThreads()}`);
            for (const test of tests) {
                await run_once(ctx, seq, n_ctx_train, test, tokens, sink); // warm-up
                const runs = [];
                for (let r = 0; r < opts.reps; r++) runs.push(await run_once(ctx, seq, n_ctx_train, test, tokens, sink));
                const calls = test.kind === "pp" ? 1 : test.n;
                results.push({
                    model: model_path, size_bytes: model.size, threads, test: test.name,
                    tokens_per_s: summary(runs.map((r) => test.n / r.internal)),
                    tokens_per_s_wall: summary(runs.map((r) => test.n / r.wall)),
                    tokens_per_cpu_s: summary(runs.map((r) => test.n / r.cpu)),
                    overhead_per_call_ms: median(runs.map((r) => (r.wall - r.internal) * 1e3 / calls)),
                    runs,
                });
                const last = results.at(-1);
                process.stderr.write(`${model_path} t=${threads} ${test.name}: ${fmt(last.tokens_per_s)} tok/s ` +
                    `(wall ${fmt(last.tokens_per_s_wall)}, per CPU-second ${fmt(last.tokens_per_cpu_s)}), load ${os.loadavg()[0].toFixed(2)}\n`);
            }
            await context.dispose();
        }
        await model.dispose();
        llama.logLevel = LlamaLogLevel.debug;
    }
    info.load_after = os.loadavg();
    if (opts.json) {
        process.stdout.write(JSON.stringify({info, results}, null, 2) + "\n");
        return;
    }
    console.log(`node-llama-cpp ${info.node_llama_cpp} (llama.cpp release ${info.llama_cpp_release}), ` +
        `CPU backend ${info.cpu_backend}`);
    console.log(`system info: ${info.system_info}`);
    console.log(`load average (1/5/15 min) before ${info.load_before.map((x) => x.toFixed(2)).join(" ")}, ` +
        `after ${info.load_after.map((x) => x.toFixed(2)).join(" ")}`);
    console.log(`median (min-max) of ${opts.reps} runs after a warm-up; ` +
        `batch ${info.batch}, KV cache ${info.kv_cache}, flash attention ${opts.flash_attn ? "on" : "off"}\n`);
    const table = (key, title) => {
        console.log(`\n${title}\n`);
        console.log(`| model | size | threads | ${tests.map((t) => t.name).join(" | ")} |`);
        console.log(`|---|---|---|${tests.map(() => "---").join("|")}|`);
        for (const model_path of opts.models) {
            for (const threads of opts.threads) {
                const row = results.filter((r) => r.model === model_path && r.threads === threads);
                const cells = tests.map((t) => fmt(row.find((x) => x.test === t.name)[key]));
                console.log(`| ${model_path.split("/").at(-1)} | ${(row[0].size_bytes / 1e6).toFixed(0)} MB | ${threads} | ` +
                    `${cells.join(" | ")} |`);
            }
        }
    };
    table("tokens_per_s", "tokens/s (llama.cpp's decode timers)");
    table("tokens_per_cpu_s", "tokens per CPU-second of the process (all threads)");
    const overheads = results.filter((r) => r.test.startsWith("tg")).map((r) => r.overhead_per_call_ms);
    if (overheads.length > 0)
        console.log(`\nJS/N-API overhead per decode call (wall - internal), median over tg tests: ` +
            `${median(overheads).toFixed(3)} ms (not included above)`);
}

main().catch((err) => {
    process.stderr.write(`bench_llamacpp: ${err.stack ?? err}\n`);
    process.exit(1);
});
