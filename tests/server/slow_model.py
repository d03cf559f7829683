"""A model that takes a second, to prove SIGTERM lets in-flight requests finish."""

import asyncio


class Slow:
    async def predict(self, X, feature_names):
        await asyncio.sleep(1.0)
        return X
