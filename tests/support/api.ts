/** A tiny HTTP client for tests: JSON in, status + JSON out, as an outside client sees the API. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  withToken(token: string | undefined): ApiClient;
}

export function apiClient(base: string, token: string | undefined): ApiClient {
  return {
    async call(method, path, body, headers = {}) {
      const init: RequestInit = {
        method,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      };
      if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
      const response = await fetch(new URL(path, base), init);
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Not JSON: keep the text so a failing assertion shows it.
      }
      return { status: response.status, headers: response.headers, body: parsed as never };
    },
    withToken(other) {
      return apiClient(base, other);
    },
  };
}

/** A synthetic outcome record (fictional jurisdictions only). */
export function syntheticRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuedOn: '2017-01-30',
    jurisdiction: { id: 'ZZ0010000', name: 'Synthetic County Sheriff’s Office', state: 'CA' },
    facility: 'Synthetic County Jail',
    aor: 'Synthetic Field Office',
    citizenship: 'Freedonia',
    offenses: [{ description: 'Synthetic offense', status: 'convicted' }],
    status: 'declined',
    declinedOn: '2017-02-01',
    learnedOn: '2017-02-02',
    ...overrides,
  };
}
