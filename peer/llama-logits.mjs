// Runs llama.cpp (node-llama-cpp's prebuilt CPU backend) on the tokens of
// an mxc logits file and compares the next-token distributions:
//
//   node peer/llama-logits.mjs MODEL.gguf LOGITS [--tolerance T]
//                              [--ppl-tolerance R]
//
// LOGITS is what `mxc-run MODEL --prompt ... --save-logits LOGITS` writes
// ("MXCLOGIT", int64 n, int64 vocab, int32 tokens[n], float32 logits[n][vocab]).
// llama.cpp evaluates the same tokens in one batch with an F32 KV cache, no flash attention and
// greedy sampling, whose probabilities are softmax(logits). Prints the
// largest difference of log-probabilities over all positions and tokens,
// and each side's perplexity of the tokens; exits 1 if the difference
// exceeds T or the perplexities differ by more than the fraction R.
import {readFileSync} from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return Infinity;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
};
const tolerance = option("--tolerance");
const pplTolerance = option("--ppl-tolerance");
if (args.length !== 2 || Number.isNaN(tolerance) || Number.isNaN(pplTolerance)) {
  console.error("usage: node llama-logits.mjs MODEL.gguf LOGITS [--tolerance T] [--ppl-tolerance R]");
  process.exit(2);
}
const [modelPath, logitsPath] = args;

const file = readFileSync(logitsPath);
if (file.toString("latin1", 0, 8) !== "MXCLOGIT") {
  console.error(`${logitsPath}: not an mxc logits file`);
  process.exit(2);
}
const n = Number(file.readBigInt64LE(8));
const vocab = Number(file.readBigInt64LE(16));
const tokens = [];
for (let i = 0; i < n; ++i) tokens.push(file.readInt32LE(24 + 4 * i));
const logitsAt = 24 + 4 * n;
const mxcLogProbs = (i) => {
  const row = new Float64Array(vocab);
  let max = -Infinity;
  for (let t = 0; t < vocab; ++t) {
    row[t] = file.readFloatLE(logitsAt + 4 * (i * vocab + t));
    max = Math.max(max, row[t]);
  }
  let sum = 0;
  for (let t = 0; t < vocab; ++t) sum += Math.exp(row[t] - max);
  const logSum = max + Math.log(sum);
  return row.map((v) => v - logSum);
};

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const context = await model.createContext({
  contextSize: Math.max(n + 1, 8),
  batchSize: Math.max(n + 1, 8),
  sequences: 1,
  // The CPU flash-attention kernel rounds to f16 on the way (1e-2 in log p).
  flashAttention: false,
  experimentalKvCacheKeyType: "F32",
  experimentalKvCacheValueType: "F32",
});
const sequence = context.getSequence();
// One more token after the last: node-llama-cpp 3.21.1 gives the last item
// of controlledEvaluate other probabilities than the same position gets
// when a token follows it (seen on mxc-example-model: 2 in log p at the
// last position, 4e-6 at every other).
const results = await sequence.controlledEvaluate(
    [...tokens.map((t) => [t, {generateNext: {probabilities: true}}]), tokens[0]]);

let maxDiff = 0, where = null, nllLlama = 0, nllMxc = 0;
for (let i = 0; i < n; ++i) {
  const probabilities = results[i]?.next?.probabilities;
  if (!probabilities || probabilities.size !== vocab)
    throw new Error(`llama.cpp gave ${probabilities?.size} probabilities at position ${i}`);
  const mine = mxcLogProbs(i);
  for (const [token, p] of probabilities) {
    const d = Math.abs(Math.log(p) - mine[token]);
    if (!(d <= maxDiff)) {
      maxDiff = d;
      where = [i, token];
    }
  }
  if (i + 1 < n) {
    nllLlama -= Math.log(probabilities.get(tokens[i + 1]));
    nllMxc -= mine[tokens[i + 1]];
  }
}
const ppl = (nll) => Math.exp(nll / Math.max(n - 1, 1));
const pplRatio = Math.abs(ppl(nllLlama) / ppl(nllMxc) - 1);
console.log(`tokens ${n} vocab ${vocab}`);
console.log(`max |log p(llama.cpp) - log p(mxc)| ${maxDiff.toExponential(3)} at position ${where?.[0]} token ${where?.[1]}`);
console.log(`perplexity llama.cpp ${ppl(nllLlama).toFixed(6)} mxc ${ppl(nllMxc).toFixed(6)} (${pplRatio.toExponential(2)} apart)`);
await context.dispose();
await model.dispose();
await llama.dispose();
if (!(maxDiff <= tolerance)) {
  console.log(`FAIL: log-probabilities differ by more than ${tolerance}`);
  process.exit(1);
}
if (!(pplRatio <= pplTolerance)) {
  console.log(`FAIL: perplexities differ by more than ${pplTolerance}`);
  process.exit(1);
}
console.log(`OK: within ${tolerance} (perplexity ${pplTolerance})`);
