"""Prices per model (USD per million tokens) and the cost of a request; see book.py."""

from router.pricing.book import Price, PriceBook, load_price_book, stated_prices
from router.pricing.models_dev import CatalogueCopy, models_dev_catalogue

__all__ = [
    "CatalogueCopy",
    "Price",
    "PriceBook",
    "load_price_book",
    "models_dev_catalogue",
    "stated_prices",
]
