"""Scrapy spider for the peer benchmark: crawls every farm site within its
host, and counts pages containing any keyword (no folding, plain `in`)."""
import scrapy
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class FarmSpider(CrawlSpider):
    name = "farm"
    custom_settings = {
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "ROBOTSTXT_OBEY": False,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    }
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)

    def __init__(self, starts="", keywords="", *a, **kw):
        self.start_urls = starts.split(",")
        self.allowed_domains = ["127.0.0.1"]
        self.keywords = [k for k in open(keywords, encoding="utf-8").read().split("\n") if k]
        self.pages = 0
        self.hits = 0
        super().__init__(*a, **kw)

    def parse_start_url(self, response):
        return self.parse_page(response)

    def parse_page(self, response):
        self.pages += 1
        text = response.text
        if any(k in text for k in self.keywords):
            self.hits += 1
        return None

    def closed(self, reason):
        print(f"scrapy: {self.pages} pages, {self.hits} with hits")
