// Tokenizes a text file with llama.cpp (node-llama-cpp's prebuilt CPU
// backend) and prints the token ids on one line, separated by spaces, as
// `mxc-run MODEL --tokenize FILE` does:
//
//   node peer/llama-tokenize.mjs MODEL.gguf FILE
//
// Only the vocabulary is loaded; no BOS is added and special tokens' texts
// stay text.
import {readFileSync} from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error("usage: node llama-tokenize.mjs MODEL.gguf FILE");
  process.exit(2);
}
const [modelPath, textPath] = args;
const text = readFileSync(textPath, "utf8");
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, gpuLayers: 0, vocabOnly: true});
console.log(model.tokenize(text, false).join(" "));
