// Next-token logits from llama.cpp (node-llama-cpp's prebuilt CPU binaries) for a list of
// token ids, as JSON {"tokens": [...], "logits": [...]} on stdout. Used by
// compare_llamacpp_logits.py to check a GGUF written by write_gguf.py against our engine.
//
// Usage (from scripts/): node llamacpp_logits.mjs MODEL.gguf ID ID ID ... [--threads N] [--kv f16|f32]
// The ids are evaluated as one prompt from an empty context (no BOS is added); the logits
// are the raw output row for the last id, before any sampling transform.

import {getLlama, LlamaLogLevel} from "node-llama-cpp";

async function main() {
    const args = process.argv.slice(2);
    let threads = 1;
    const ti = args.indexOf("--threads");
    if (ti >= 0) {
        threads = Number(args[ti + 1]);
        args.splice(ti, 2);
    }
    let kv = "F16"; // llama.cpp's default K/V cache type
    const ki = args.indexOf("--kv");
    if (ki >= 0) {
        kv = String(args[ki + 1]).toUpperCase();
        args.splice(ki, 2);
        if (kv !== "F16" && kv !== "F32") throw new Error("--kv must be f16 or f32");
    }
    const [model_path, ...ids] = args;
    const tokens = ids.map(Number);
    if (!model_path || tokens.length === 0 || tokens.some((t) => !Number.isInteger(t) || t < 0))
        throw new Error("usage: node llamacpp_logits.mjs MODEL.gguf ID [ID ...] [--threads N]");
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath: model_path, gpuLayers: 0});
    const context = await model.createContext({contextSize: 256, batchSize: 256, threads, flashAttention: false,
        experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv});
    const sequence = context.getSequence();
    const input = tokens.map((t, i) => (i + 1 < tokens.length ? t : [t, {generateNext: {logits: true}}]));
    const out = await sequence.controlledEvaluate(input);
    const logits_map = out.at(-1)?.next?.logits;
    if (!logits_map) throw new Error("llama.cpp returned no logits for the last token");
    const n_vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    const logits = new Array(n_vocab).fill(null);
    for (const [tok, v] of logits_map) logits[tok] = v;
    if (logits.some((v) => v === null)) throw new Error(`logits cover ${logits_map.size} of ${n_vocab} tokens`);
    process.stdout.write(JSON.stringify({tokens, logits}) + "\n");
    await context.dispose();
    await model.dispose();
}

main().catch((err) => {
    process.stderr.write(`llamacpp_logits: ${err.stack ?? err}\n`);
    process.exit(1);
});
