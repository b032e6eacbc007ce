"""The demo application's services.

Each module holds one service; collaborators come in through ``__init__``.
:mod:`~mockpool._demo.services.container` wires them from settings.
"""

from mockpool._demo.services.auth import AuthController, LoginResult
from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.container import Container, build_auth_controller
from mockpool._demo.services.database import Database, QueryResult
from mockpool._demo.services.device_sessions import DeviceSession, DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.http import HttpClient, Response
from mockpool._demo.services.jwt import JwtService, TokenPair
from mockpool._demo.services.logger import Logger, LogRecord
from mockpool._demo.services.plex import Library, MediaItem, PlexService
from mockpool._demo.services.redis import Pipeline, RedisService
from mockpool._demo.services.youtube import SearchPage, Video, YouTubeService

__all__ = [
    "AuthController",
    "CacheService",
    "Container",
    "Database",
    "DeviceSession",
    "DeviceSessionService",
    "EncryptionService",
    "HttpClient",
    "JwtService",
    "Library",
    "LogRecord",
    "LoginResult",
    "Logger",
    "MediaItem",
    "Pipeline",
    "PlexService",
    "QueryResult",
    "RedisService",
    "Response",
    "SearchPage",
    "TokenPair",
    "Video",
    "YouTubeService",
    "build_auth_controller",
]
