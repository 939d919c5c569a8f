// The AI SDK provider OpenCode uses for custom endpoints (@ai-sdk/openai-compatible),
// calling routerx serve: one whole answer and one stream, printed as one JSON line.
// Usage: node ai_sdk_client.mjs BASE_URL MODEL
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";

const [baseURL, modelName] = process.argv.slice(2);
const routerx = createOpenAICompatible({ name: "routerx", baseURL, includeUsage: true });
const model = routerx.chatModel(modelName);

const whole = await generateText({ model, prompt: "Write add(a, b).", maxRetries: 0 });
const streamed = streamText({ model, prompt: "Write add(a, b).", maxRetries: 0 });
let text = "";
for await (const part of streamed.textStream) text += part;
const usage = await streamed.usage;
const response = await streamed.response;
console.log(JSON.stringify({
  whole: { text: whole.text, model: whole.response.modelId, usage: whole.usage },
  streamed: { text, model: response.modelId, usage },
}));
