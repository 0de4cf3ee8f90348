/** The console's API: reads with GET, changes with POST carrying the page's CSRF token. */

const csrf = document.querySelector('meta[name="plgate-csrf"]')?.getAttribute('content') ?? '';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

async function answer(response) {
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new ApiError(response.status, body.error ?? `${response.status}`);
  return body;
}

export async function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  return answer(await fetch(text ? `${path}?${text}` : path, { credentials: 'same-origin' }));
}

export async function post(path, body) {
  return answer(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-plgate-csrf': csrf },
      body: JSON.stringify(body),
    }),
  );
}
