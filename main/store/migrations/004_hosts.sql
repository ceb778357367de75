-- SSH hosts: remote machines (usually GPU servers) the trainer runs on. No secrets here: logins use
-- a private key file (its path only) or the SSH agent; trusted host keys live in <data>/known_hosts.

CREATE TABLE hosts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  username TEXT NOT NULL,
  private_key_path TEXT NOT NULL DEFAULT '',
  python TEXT NOT NULL DEFAULT 'python3',
  remote_root TEXT NOT NULL DEFAULT '.character-studio',
  gpu_count INTEGER NOT NULL DEFAULT 1 CHECK (gpu_count >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX hosts_name ON hosts (name COLLATE NOCASE);
