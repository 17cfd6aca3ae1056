// Makes one chat completion through Breakwater with the official OpenAI Node SDK and prints, as one JSON line,
// the request id the SDK exposes (response._request_id, read from x-request-id) and the answer's content.
// Usage: node request-id.mjs <baseURL>
import OpenAI from 'openai';

const [baseURL] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'sk-test', maxRetries: 0 });
const completion = await client.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hi' }],
});
console.log(JSON.stringify({ requestId: completion._request_id, content: completion.choices[0].message.content }));
