from fastapi import APIRouter

from warroom.web.pages.base import PageRoute

router = APIRouter(route_class=PageRoute)
