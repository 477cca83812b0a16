/** Materialized paths of ids: '/1/5/9/'. A subtree is the half-open range [path, upper). */
export function childPath(parentPath: string | null, id: number): string {
  return `${parentPath ?? '/'}${id}/`;
}

/** Upper bound of the subtree range: the path with its trailing '/' bumped to '0'. */
export function subtreeUpperBound(path: string): string {
  return `${path.slice(0, -1)}0`;
}

export function depthOf(path: string): number {
  return path.split('/').length - 3;
}
