import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type { ConfItem } from './tokenizer.js';

/** One statement: its words, and the `{ }` block that followed it, if any. */
export interface Stmt {
  words: string[];
  pos: SourcePos;
  block?: Stmt[];
}

/**
 * Nests the line stream: a `{` opens a block for the statement just before it (on the same
 * line or the next, as keepalived allows). A stray `{` or `}` is a syntax error; its block is
 * still nested so that one typo does not shift every later statement.
 */
export function buildTree(items: ConfItem[], diags: Diagnostics): Stmt[] {
  const root: Stmt[] = [];
  const stack: { list: Stmt[]; open?: SourcePos }[] = [{ list: root }];
  let last: Stmt | undefined;
  for (const item of items) {
    const top = stack[stack.length - 1]!;
    if (item.kind === 'words') {
      last = { words: item.words, pos: item.pos };
      top.list.push(last);
    } else if (item.kind === 'open') {
      const block: Stmt[] = [];
      if (last && !last.block) last.block = block;
      else diags.error(item.pos, "unexpected '{' without a keyword before it", 'HALO_E_CONFIG_SYNTAX');
      stack.push({ list: block, open: item.pos });
      last = undefined;
    } else {
      if (stack.length === 1) diags.error(item.pos, "extra '}'", 'HALO_E_CONFIG_SYNTAX');
      else stack.pop();
      last = undefined;
    }
  }
  for (const frame of stack.slice(1)) {
    diags.error(frame.open!, "block opened here is missing its '}'", 'HALO_E_CONFIG_SYNTAX');
  }
  return root;
}

/** How a section handles one keyword; `block` says whether it needs a `{ }` block. */
export interface Keyword<S> {
  block?: boolean;
  handle(stmt: Stmt, state: S): void;
}

export type KeywordTable<S> = Record<string, Keyword<S>>;

/**
 * Runs each statement of a block through its section's table. Unknown keywords are warnings
 * (keepalived logs "Unknown keyword" and goes on); their blocks are skipped whole.
 */
export function dispatch<S>(
  stmts: Stmt[],
  table: KeywordTable<S>,
  state: S,
  section: string,
  diags: Diagnostics,
): void {
  for (const stmt of stmts) {
    const word = stmt.words[0]!;
    const keyword = Object.hasOwn(table, word) ? table[word] : undefined;
    if (!keyword) {
      diags.warn(stmt.pos, `unknown keyword '${word}' in ${section}; ignored`, 'HALO_W_CONFIG_UNKNOWN_KEYWORD');
      continue;
    }
    if (keyword.block && !stmt.block) {
      diags.error(stmt.pos, `'${word}' needs a { } block`, 'HALO_E_CONFIG_SYNTAX');
      continue;
    }
    if (!keyword.block && stmt.block) {
      diags.warn(stmt.pos, `'${word}' takes no { } block; block ignored`, 'HALO_W_CONFIG_IGNORED');
    }
    keyword.handle(stmt, state);
  }
}

/** Lines of a value block (virtual_ipaddress, track_script, ...): nested blocks make no sense there. */
export function valueLines(stmt: Stmt, diags: Diagnostics): Stmt[] {
  const lines = stmt.block ?? [];
  for (const line of lines) {
    if (line.block)
      diags.warn(line.pos, `unexpected { } block inside '${stmt.words[0]}'; ignored`, 'HALO_W_CONFIG_IGNORED');
  }
  return lines;
}
