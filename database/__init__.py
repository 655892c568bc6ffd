"""What every process shares in PostgreSQL: the connection (embedded server or DATABASE_URL), the
migrations, advisory locks, heartbeats, and riding out an outage."""
