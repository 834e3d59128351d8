"""The encrypted database: models, engine, migrations."""
