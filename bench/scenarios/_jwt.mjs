/**
 * The JWT cases' keys and tokens, the same in every process (the load generator sends the token,
 * the scenario servers verify it). The RSA key was made for the bench and protects nothing.
 * Tokens carry no `iat` and expire in 2100, so that they are byte-identical in every process.
 */

import { createPublicKey } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';

export const HS256_SECRET = 'portcullis-bench-hs256-secret-0123456789abcdef';

export const RSA_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDDDGjZ3W4zp+J1
4/syaFPIuAozDkaTNkkpiLyFy0Ku/ki+E2PC26lxFkRJNCtw9EcsalLofI8AdQLX
3Mbhn7Z7Ihe9Mkz8FTsICoUHzdg6hHFFQJoctebJzZU5DgAxPrPwVJxscwoRdEPK
c87+WeQGuuNT3GP9TVM1Pv6nfTwJ5YW6GT/mdxXKlNB2KerfrtRUiWwE30APPqzo
L599XoLUj/rfiyJD9+FO72tQSjS2F2jTrU56xMSxVHZCeruGosXc0ccVjmblJ1NA
IEbjLJqQiVJ6xRQ+Va7skbXz3ld4SXF7L3Oa7ewoNSFlzNMAvGGep37cwgEvZmWo
7IT3oVatAgMBAAECggEAAJEkKuH0ZI0L4PjZLZPVDoPOb8iOVvY07zx5A9CL8JNH
pdnLk/DshKoiZ64RpEHphQ0IEanvBnrQl80J/PToZGI8fG3NgHwVUFgre9LS2pSw
+ZkO+Z9jvNluohxSztHWVw//5mbNNDDI06lThDTBr21SpNdCqSVU5RY6SkVYa9Tw
KnvSAG9knfNkHXkVkOufHNnfW6WS29AqRUBcJ24PpWRPCrzm9EZtHtKryBF+ouhF
y7ZQ+zVpWxqZNUwyqKiUbIoiNKYfODOWLSXk/fVxqmKv1rqRNO7oKvZT4cIdtOSQ
5SwzRetGXFlt3OAcadRvvwG0Hq3SvT3stnHrjPwf9wKBgQDiNuuC9B6l853S85R2
tUPl4NoKwEupSwPnRH6GrXCOml1W48C9YtAWVJfm6EPVnFfsCHV9FQItnGIm/sV3
3aNRxif0eg6eJMd7X4K7ZzBRIAymRi0BjKIAZLCT9zU9M5J+3d6hAsrqI0HcgrDU
d97mfzlWiMeUvM9USL+jYJJS0wKBgQDcuvdVINlf7HSMz5YSu0yml/0KkJhI+fNv
vxCi1lwLzsCA+zGcaQsKeZ1BkKP/Jfb7zm1PrySaa69e26/yjSDwO4qVwVutcK1H
GaIPYIXc0XDy3rcRWYczEvjb/gHXvJ8LJ5oiZFWykP28FDHHhF0K/TrsA2zCXYpc
zjDrH+TAfwKBgQCrmgPQJEW3l/WKWBKwdlMaaBaffz4mH2zHnDLrEVjIJJtX1Y+Z
WwMFXYiZtmn2+hHMUKJnj29GkFH4yN2dTzmcR9h5YboDB1133n06kk2ZzNkrrSJp
AXjHGZrFtArj8WJY8Q/4TjkFoldM4qsnkgM6ERq65SmZUB1rD4CofBKj1wKBgQCS
7GSLpoTqo7Lks5x6NXANB+gn6x1infWbMTu6mCLGvUVH1WwtZ4Iw48h4BvYSdMvU
yo/aVYNwwjMGWgbg1W3SWl+h1QXYCcNdK0PDJoWT+VlMYFDM3KHwrjU2AfpqBqR6
wU6Ii+67IGW0lmCYJJPmJ67bwF/ZdHgP1DOdnioeswKBgQDKrsc4Vxb2xXxObzlZ
WiUzlWhSF12ZqIZzz347jTJ/GQew6exSBoQUnhhgruoRAQta9Ef0ibAFDuYxbV3Z
BeydP1LBF9vzEn3yi4J13sMLJFwXkMI0MCSfOR2/2OPekU0O2hZTvTjsYxw7LUDJ
6FOKVGi0pF2Yu0p6zS1hghknpQ==
-----END PRIVATE KEY-----
`;

/** The public half as PEM, as an app configures it. */
export const RSA_PUBLIC_KEY = createPublicKey(RSA_PRIVATE_KEY).export({
  format: 'pem',
  type: 'spki',
});

const CLAIMS = { sub: 'bench-user', scope: 'bench:read', exp: 4102444800 };

export const HS256_TOKEN = jsonwebtoken.sign(CLAIMS, HS256_SECRET, {
  algorithm: 'HS256',
  noTimestamp: true,
});
export const RS256_TOKEN = jsonwebtoken.sign(CLAIMS, RSA_PRIVATE_KEY, {
  algorithm: 'RS256',
  noTimestamp: true,
});
