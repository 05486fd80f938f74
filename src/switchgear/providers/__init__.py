"""Providers: one module per wire protocol or engine, all behind `base.Provider`."""
