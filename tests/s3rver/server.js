'use strict';

// Starts s3rver for the test suite. s3rver 3.7 answers AbortMultipartUpload with 405 and
// ListMultipartUploads with NotImplemented; both matter here (a failed backup must abort its upload, and
// the tests must see that nothing is left), so this launcher adds the two operations on s3rver's own
// filesystem store, ahead of its routes. Everything else is s3rver unchanged.
//
// s3rver ignores If-None-Match and If-Match on writes, as many S3-compatible servers do. With the optional
// "conditional" argument this launcher honours them on PutObject and CompleteMultipartUpload the way AWS
// does (412 PreconditionFailed), so both kinds of server can be tested.
//
// Usage: node server.js <data-dir> <address> <port> [conditional]

const path = require('path');
const fs = require('fs/promises');

async function exists(p) {
  return fs.access(p).then(() => true, () => false);
}
const S3rver = require('s3rver');
// A second key pair whose secret differs from its key id, so tests can look for the secret alone in output.
require('s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair('PGPHASE-TEST', 'pgphase-test-secret-0f9e8d7c');

const [directory, address, port, mode] = process.argv.slice(2);
if (!directory || !address || !port || process.argv.includes('--help') || !Number.isInteger(Number(port))) {
  console.log(`usage: node server.js <data-dir> <address> <port> [conditional]

Starts s3rver on <address>:<port>, storing buckets under <data-dir>. Keys: S3RVER / S3RVER, and
PGPHASE-TEST / pgphase-test-secret-0f9e8d7c. "conditional" refuses writes the way AWS does for
If-None-Match / If-Match. A bucket must exist before anything is written to it: s3rver creates one on a
plain PUT, e.g.
  curl -X PUT http://127.0.0.1:4569/backups
or with any S3 client:
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url http://127.0.0.1:4569 s3 mb s3://backups`);
  process.exit(process.argv.includes('--help') ? 0 : 2);
}
const conditional = mode === 'conditional';
const server = new S3rver({ directory, address, port: Number(port), silent: true });

function uploadsDir(bucket) {
  return path.join(directory, bucket, '._S3rver_uploads');
}

function xml(body) {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + body;
}

function escape(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fail(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = xml(`<Error><Code>${code}</Code><Message>${escape(message)}</Message></Error>`);
}

// If-None-Match: * and If-Match: <etag> on a write, checked against the object now at the key.
async function preconditionFails(ctx, bucket, key) {
  const noneMatch = ctx.get('if-none-match');
  const match = ctx.get('if-match');
  if (!noneMatch && !match) return false;
  const exists = await ctx.store.existsObject(bucket, key);
  if (noneMatch === '*' && exists) {
    fail(ctx, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    return true;
  }
  if (match) {
    if (!exists) {
      fail(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
      return true;
    }
    const { etag } = await ctx.store.getMetadata(bucket, key);
    if (etag.replace(/"/g, '') !== match.replace(/"/g, '')) {
      fail(ctx, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      return true;
    }
  }
  return false;
}

server.middleware.unshift(async (ctx, next) => {
  const segments = ctx.path.split('/').filter(s => s.length > 0).map(decodeURIComponent);
  const bucket = segments[0];
  const key = segments.slice(1).join('/');

  if (ctx.method === 'DELETE' && bucket && key && ctx.query.uploadId !== undefined) {
    const dir = path.join(uploadsDir(bucket), path.basename(ctx.query.uploadId));
    if (!(await exists(dir))) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = xml(`<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${escape(ctx.query.uploadId)}</UploadId></Error>`);
      return;
    }
    await fs.rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }

  if (conditional && bucket && key && !ctx.get('x-amz-copy-source') &&
      ((ctx.method === 'PUT' && ctx.query.uploadId === undefined) || (ctx.method === 'POST' && ctx.query.uploadId !== undefined))) {
    if (await preconditionFails(ctx, bucket, key)) return;
  }

  if (ctx.method === 'GET' && bucket && !key && ctx.query.uploads !== undefined) {
    const root = uploadsDir(bucket);
    const ids = (await exists(root)) ? await fs.readdir(root) : [];
    const prefix = ctx.query.prefix || '';
    const uploads = [];
    for (const id of ids) {
      const uploadKey = await fs.readFile(path.join(root, id, 'key'), 'utf8').catch(() => '');
      if (!uploadKey.startsWith(prefix)) continue;
      const initiated = (await fs.stat(path.join(root, id))).mtime.toISOString();
      uploads.push(`<Upload><Key>${escape(uploadKey)}</Key><UploadId>${escape(id)}</UploadId><Initiated>${initiated}</Initiated></Upload>`);
    }
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = xml(`<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escape(bucket)}</Bucket><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`);
    return;
  }

  await next();
});

server.run().then(
  () => {},
  err => {
    console.error(err);
    process.exit(1);
  },
);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close().finally(() => process.exit(0)));
}
