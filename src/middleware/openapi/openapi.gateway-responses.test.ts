import { expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { apiDocument } from '../../../test/support/openapi.js';
import { openapi } from './index.js';

const DOCUMENT = apiDocument({
  'x-amazon-apigateway-gateway-responses': {
    MISSING_AUTHENTICATION_TOKEN: {
      statusCode: 404,
      responseParameters: { 'gatewayresponse.header.x-gateway': "'portcullis'" },
      responseTemplates: { 'application/json': '{"error":"no such route"}' },
    },
    DEFAULT_4XX: { responseTemplates: { 'application/json': '{"error":"refused"}' } },
  },
  paths: { '/pets': { get: {} } },
});

describeEachFramework("openapi() with the document's gateway responses", (fw) => {
  it('answers its own refusals with them', async () => {
    const app = await fw.start({ use: [openapi(DOCUMENT, { unmatched: 'refuse' })] });
    const unknown = await app.request('/nowhere');
    expect([unknown.status, unknown.json, unknown.headers['x-gateway']]).toEqual([
      404,
      { error: 'no such route' },
      'portcullis',
    ]);
    const malformed = await app.request('/pets/%E0%A4%A');
    expect([malformed.status, malformed.json]).toEqual([400, { error: 'refused' }]);
  });

  it('leaves what it hands on to the app alone', async () => {
    const app = await fw.start({
      use: [openapi(DOCUMENT)],
      routes: [{ method: 'GET', path: '/app', reply: { body: 'app' } }],
    });
    const res = await app.request('/app');
    expect([res.status, res.body, res.headers['x-gateway']]).toEqual([200, 'app', undefined]);
  });
});
