export const ROLES = ['secretary', 'leader', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  secretary: '书记',
  leader: '领导',
  admin: '管理员',
  member: '党员',
};

const ROLE_ALIASES: Record<string, Role> = {
  secretary: 'secretary', 书记: 'secretary', 党组织书记: 'secretary',
  leader: 'leader', 领导: 'leader', 上级领导: 'leader',
  admin: 'admin', 管理员: 'admin', 创先办: 'admin',
  member: 'member', 党员: 'member', 群众: 'member',
};

export function parseRole(text: string): Role | undefined {
  return ROLE_ALIASES[text.trim().toLowerCase()] ?? ROLE_ALIASES[text.trim()];
}

export const ORG_KINDS = ['committee', 'general_branch', 'branch', 'office'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export const ORG_KIND_LABELS: Record<OrgKind, string> = {
  committee: '党委',
  general_branch: '党总支',
  branch: '党支部',
  office: '领导小组',
};

const KIND_ALIASES: Record<string, OrgKind> = {
  committee: 'committee', 党委: 'committee',
  general_branch: 'general_branch', 党总支: 'general_branch',
  branch: 'branch', 党支部: 'branch',
  office: 'office', 领导小组: 'office',
};

export function parseOrgKind(text: string): OrgKind | undefined {
  return KIND_ALIASES[text.trim().toLowerCase()] ?? KIND_ALIASES[text.trim()];
}

/** A role held on one organization, with that organization's materialized path. */
export interface Grant {
  role: Role;
  orgId: number;
  orgPath: string;
}

/** Leaders and admins act on their organization's whole subtree. */
export function isWithin(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}

/** May this person act as `role` (or admin) over the organization at `targetPath`? */
export function canActOn(grants: Grant[], targetPath: string, roles: Role[]): boolean {
  return grants.some((g) => roles.includes(g.role) && isWithin(targetPath, g.orgPath));
}
