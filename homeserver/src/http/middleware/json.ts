/**
 * JSON request bodies, and the one input gate every body passes (see json-input.ts). Matrix clients do not always
 * send `Content-Type: application/json`, so the body is read as JSON whatever the content type says, as other
 * homeservers do.
 */
import express, { type RequestHandler } from 'express';
import { parseCheckedJson } from '../../json-input.js';
import { MatrixError } from '../errors.js';

export interface JsonBodyOptions {
  /** Largest accepted body in bytes; more gives 413 `M_TOO_LARGE` (before reading it, when Content-Length says so). */
  maxBytes: number;
  /** Deepest nesting of objects and arrays (`limits.json_max_depth`); deeper gives 400 `M_BAD_JSON`. */
  maxDepth: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the body and sets `req.body` to the parsed JSON. An absent or empty body reads as `{}`.
 * Unparseable bodies (bad JSON or bad UTF-8) give 400 `M_NOT_JSON`; JSON the gate refuses (a NUL or lone surrogate
 * in a string or key, nesting beyond `maxDepth`) gives 400 `M_BAD_JSON`.
 */
export function jsonBody(options: JsonBodyOptions): RequestHandler[] {
  const readRaw = express.raw({ type: () => true, limit: options.maxBytes });
  const parse: RequestHandler = (req, _res, next) => {
    req.body = parseJsonBody(req.body, options.maxDepth);
    next();
  };
  return [readRaw, parse];
}

/** Parses a raw body buffer as JSON through the input gate, throwing a MatrixError when it is refused. */
export function parseJsonBody(raw: unknown, maxDepth: number): unknown {
  // NOTSPEC: an empty body is read as `{}`: clients send bodiless POSTs (e.g. /logout, /join) the spec gives `{}` for.
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new MatrixError(400, 'M_NOT_JSON', 'Content is not valid UTF-8');
  }
  if (text.trim() === '') return {};
  return parseCheckedJson(text, { maxDepth, notJson: () => new MatrixError(400, 'M_NOT_JSON', 'Content is not valid JSON') });
}
