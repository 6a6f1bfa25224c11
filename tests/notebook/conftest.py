"""The notebook suite uses the plugin users get (smartcar_emulator)."""
pytest_plugins = ["smartcar_native.testing"]
