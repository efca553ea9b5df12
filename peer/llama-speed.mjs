// Measures llama.cpp (node-llama-cpp's prebuilt CPU backend) on a GGUF
// model: load time, prefill of a prompt and token-by-token decode, as the
// peer of mxc-run's speed line.
//
//   node peer/llama-speed.mjs MODEL.gguf [--prompt N] [--steps N] [--threads N]
//
// The prompt is N token ids (1, then 2, 3, ... modulo the vocabulary, so any
// model takes it); decode feeds back the greedy token. Prints one line:
//   load S s prefill N tokens T tok/s decode N tokens T tok/s
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
};
const promptLength = option("--prompt", 128);
const steps = option("--steps", 64);
const threads = option("--threads", 0);
if (args.length !== 1 || !(promptLength >= 1) || !(steps >= 1) || !(threads >= 0)) {
  console.error("usage: node llama-speed.mjs MODEL.gguf [--prompt N] [--steps N] [--threads N]");
  process.exit(2);
}

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
let start = performance.now();
const model = await llama.loadModel({modelPath: args[0], gpuLayers: 0});
const context = await model.createContext({
  contextSize: promptLength + steps + 8,
  batchSize: promptLength + 8,
  sequences: 1,
  threads: threads || undefined,
});
const load = (performance.now() - start) / 1000;
const vocab = model.tokens.vocabularySize ?? 512;
const prompt = Array.from({length: promptLength}, (_, i) => i === 0 ? 1 : 3 + (i % (vocab - 3)));
const sequence = context.getSequence();

start = performance.now();
const [first] = await sequence.controlledEvaluate(
    prompt.map((t, i) => i + 1 === prompt.length ? [t, {generateNext: {token: true}}] : t));
const prefill = (performance.now() - start) / 1000;

// Greedy decode through the sequence's generator (one llama_decode of one
// token per step).
const token = first?.next?.token ?? 3;
start = performance.now();
let generated = 0;
for await (const next of sequence.evaluate([token], {temperature: 0})) {
  void next;
  if (++generated >= steps) break;
}
const decode = (performance.now() - start) / 1000;
console.log(`load ${load.toFixed(3)} s prefill ${promptLength} tokens ${(promptLength / prefill).toFixed(1)} tok/s ` +
            `decode ${steps} tokens ${(steps / decode).toFixed(1)} tok/s`);
await context.dispose();
await model.dispose();
await llama.dispose();
