/**
 * `mmapkit sim --serve`: a small static server for the interactive page (dist/web), bound to
 * 127.0.0.1. It serves only the page's own files (GET and HEAD), never a path outside its folder.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { codedError, systemError } from '../errors';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The folder of the built page, or an error saying how to build it. */
export function webRoot(): string {
  const dir = path.join(__dirname, '..', 'web');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw codedError('ERR_MMAPKIT_UNSUPPORTED', `The interactive page is not built (${dir} has no index.html): run 'npm run build:web' in the mmapkit folder`);
  }
  return dir;
}

/** Starts the server; resolves with it once it listens (port 0 picks a free port). */
export function serveWeb(port: number, host = '127.0.0.1'): Promise<http.Server> {
  const root = webRoot();
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(systemError(Math.abs(err.errno ?? 98), 'listen', `${host}:${port}`, undefined, 'choose another port with --port N (0 picks a free one)'));
      else reject(err);
    });
    server.listen(port, host, () => resolve(server));
  });
}
