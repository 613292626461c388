/**
 * The options `petstore.yaml` runs with: what API Gateway keeps outside the document (Lambda
 * functions, the partner authorizer, usage plans and keys, stages with a canary), and a small pet
 * service on 127.0.0.1 for the HTTP integrations. Use it with
 *   npx portcullis serve examples/openapi/petstore.yaml --config examples/openapi/options.mjs
 * or in an app: app.use(gateway.openapi('examples/openapi/petstore.yaml', options)).
 */

import { createServer } from 'node:http';

/** The demo's API key (on the `basic` plan) and the HS256 secret pet owners' tokens are signed with. */
export const DEMO_KEY = 'petstore-demo-key-0123456789abcdef';
export const JWT_SECRET = 'petstore-demo-secret-do-not-use-in-production';
/** Partners of the catalogue and their secrets, checked by the request authorizer. */
export const PARTNERS = { acme: 'acme-secret' };

const PETS = new Map([
  ['1', { id: '1', name: 'Rex', type: 'dog', age: 4 }],
  ['2', { id: '2', name: 'Tom', type: 'cat', age: 2 }],
  ['3', { id: '3', name: 'Nemo', type: 'fish' }],
]);

/** A 1×1 transparent PNG: the photo of every pet. */
const PHOTO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

const json = (statusCode, body, headers = {}) => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The Lambda functions, by function name, as their handlers are exported on AWS. */
export const lambdas = {
  /** Payload 1.0: `queryStringParameters`, `requestContext.stage`, `stageVariables`. */
  async listPets(event) {
    const type = event.queryStringParameters?.type;
    const pets = [...PETS.values()].filter((pet) => type === undefined || pet.type === type);
    const limit = Number(event.queryStringParameters?.limit);
    return json(200, Number.isInteger(limit) && limit > 0 ? pets.slice(0, limit) : pets, {
      'x-stage': event.requestContext?.stage ?? '',
      'x-catalogue': event.stageVariables?.catalogue ?? '',
    });
  },
  /** Payload 2.0: `rawPath`, `requestContext.http`, the JWT's claims under `authorizer.jwt`. */
  async createPet(event) {
    const pet = JSON.parse(
      event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body,
    );
    const id = String(PETS.size + 1);
    return json(201, {
      id,
      ...pet,
      owner: event.requestContext?.authorizer?.jwt?.claims?.sub ?? null,
    });
  },
  /** A binary answer: base64 body, `isBase64Encoded`, an `image/png` content type. */
  async petPhoto(event) {
    if (!PETS.has(event.pathParameters?.petId)) return json(404, { message: 'No such pet' });
    return {
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      body: PHOTO.toString('base64'),
      isBase64Encoded: true,
    };
  },
};

/** How often the partner authorizer ran: its results are cached for the document's 300 s. */
export const authorizerCalls = { count: 0 };

/** The `partners` request authorizer: a partner id and its secret, else 401. */
export const authorizers = {
  async partners(event) {
    authorizerCalls.count++;
    const id = event.headers['x-partner-id'];
    if (PARTNERS[id] === undefined || PARTNERS[id] !== event.headers['x-partner-secret'])
      throw new Error('Unauthorized');
    const [arnBase] = event.methodArn.split('/');
    return {
      principalId: id,
      context: { partner: id, tier: 'gold' },
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${arnBase}/*/*/catalogue/*` },
        ],
      },
    };
  },
};

/** The pet service behind the `http` and `http_proxy` integrations. */
function petService(req, res) {
  const url = new URL(req.url, 'http://pets.internal');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-source': 'pet-service' });
    res.end(JSON.stringify(body));
  };
  const animal = /^\/v1\/animals\/([^/]+)$/.exec(url.pathname);
  if (animal !== null) {
    const pet = PETS.get(decodeURIComponent(animal[1]));
    if (pet === undefined) return send(404, { message: 'No such pet' });
    return send(200, {
      ...pet,
      locale: req.headers['accept-language'] ?? null,
      catalogue: req.headers['x-catalogue'] ?? null,
      via: url.searchParams.get('via'),
      requestId: req.headers['x-request-id'] ?? null,
    });
  }
  const catalogue = /^\/catalogue\/([^/]+)\/(.*)$/.exec(url.pathname);
  if (catalogue !== null)
    return send(200, {
      method: req.method,
      version: catalogue[1],
      item: catalogue[2],
      query: url.search,
      partner: req.headers['x-partner-id'] ?? null,
    });
  send(404, { message: 'Not here' });
}

/** Started with the config, on a free port; it does not keep the process alive on its own. */
export const backend = createServer(petService);
await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
backend.unref();
const backendHost = `127.0.0.1:${backend.address().port}`;

export default {
  lambdas,
  authorizers,
  usagePlans: {
    plans: {
      basic: { throttle: { rate: 5, burst: 10 }, quota: { limit: 1000, period: 'day' } },
    },
    keys: [{ id: 'demo', key: DEMO_KEY, plan: 'basic' }],
  },
  jwt: {
    // The document's issuer publishes RS256 keys; locally, owners' tokens are HS256 with a secret.
    petOwners: { secret: JWT_SECRET, algorithms: ['HS256'], jwksUri: undefined },
  },
  stages: {
    dev: { variables: { backend: backendHost, catalogue: 'dev' } },
    prod: {
      variables: { backend: backendHost, catalogue: 'v1' },
      throttle: { rate: 50, burst: 100 },
      // One request in ten sees the next catalogue.
      canary: { percentTraffic: 10, variables: { catalogue: 'v2' } },
    },
  },
};
