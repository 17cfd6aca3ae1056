// Streams one chat completion through Breakwater with the official OpenAI Node SDK and prints, as one JSON line,
// the content chunks received and the error the SDK raised (null when the stream ended cleanly).
// Usage: node stream-errors.mjs <baseURL> <x-test header value>
import OpenAI from 'openai';

const [baseURL, test] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'sk-test', maxRetries: 0, defaultHeaders: { 'x-test': test } });
const chunks = [];
let error = null;
let message = null;
try {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  for await (const chunk of stream) {
    chunks.push(chunk.choices[0]?.delta?.content ?? '');
  }
} catch (e) {
  error = e.constructor.name;
  message = String(e.message);
}
console.log(JSON.stringify({ chunks, error, message }));
