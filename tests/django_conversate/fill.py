"""Builds a django-conversate site for the import test, through Django's
own migrations and django-conversate's own models.

Prints one JSON object describing what it made, for the test to compare:
users (with their password), rooms, memberships, 1,000 messages with
times, and files in the media root.
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

from conversate.models import Message, Room, RoomUser  # noqa: E402

PASSWORD = "django horse battery"
BASE = 1_600_000_000  # 2020-09-13, a time well before any import

call_command("migrate", verbosity=0, interactive=False)

# Django's default hasher (pbkdf2_sha256), and the two optional ones.
ann = User.objects.create_user("ann", "ann@example.com", PASSWORD)
bob = User.objects.create_user("bob", "bob@example.com", PASSWORD)
cy = User.objects.create_user("cy", "", "another password")
cy.password = make_password(PASSWORD, hasher="argon2")
cy.save()
dee = User.objects.create_user("dee", "dee@example.com", "x")
dee.password = make_password(PASSWORD, hasher="bcrypt_sha256")
dee.save()
# Not a member of any room and never wrote: not imported.
User.objects.create_user("outsider", "out@example.com", PASSWORD)

lobby = Room.objects.create(title="The Lobby", slug="lobby")
garden = Room.objects.create(title="Garden", slug="garden")
RoomUser.objects.create(room=lobby, user=ann, colour="aa3300", alert=True, mail_alert=True)
RoomUser.objects.create(room=lobby, user=bob, colour="0055ff", alert=False, mail_alert=False)
RoomUser.objects.create(room=lobby, user=cy, colour="00aa00")
RoomUser.objects.create(room=garden, user=ann, colour="123456", alert=True, mail_alert=False)
RoomUser.objects.create(room=garden, user=dee, colour="fedcba", alert=False, mail_alert=True)

# 1,000 messages: 700 in the lobby, 300 in the garden. Four at a time
# share a second, so the order within a second comes from the id, as the
# original's page shows it.
authors = {lobby.id: [ann, bob, cy], garden.id: [ann, dee]}
messages = []
for i in range(1000):
    room = lobby if i % 10 < 7 else garden
    people = authors[room.id]
    messages.append(
        Message(
            room=room,
            user=people[i % len(people)],
            timestamp=BASE + (i // 4) * 60,
            content=f"message {i} from {people[i % len(people)].username} with **bold** text",
        )
    )
# Stored newest first, so ids run against time: the import must follow the
# original's order (time, then id), not the ids alone.
Message.objects.bulk_create(list(reversed(messages[:-3])))

# The last three carry files, saved through the model's FileField into
# the media root, as an upload would be.
png = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + os.urandom(300)
files = [
    ("notes.txt", b"plain notes\n" * 40),
    ("picture.png", png),
    ("data.bin", os.urandom(70_000)),
]
made_files = []
for message, (name, data) in zip(messages[-3:], files):
    message.file.save(name, ContentFile(data), save=False)
    message.save()
    made_files.append({"message": message.content, "name": name, "path": message.file.name,
                       "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

def described(room):
    return [
        {"user": m.user.username, "timestamp": m.timestamp, "content": m.content}
        for m in Message.objects.filter(room=room).order_by("timestamp", "id")
    ]

json.dump(
    {
        "password": PASSWORD,
        "users": {u.username: u.password.split("$")[0] for u in User.objects.all()},
        "rooms": {r.slug: {"title": r.title, "messages": described(r)} for r in Room.objects.all()},
        "members": [
            {"room": ru.room.slug, "user": ru.user.username, "colour": ru.colour,
             "alert": ru.alert, "mail_alert": ru.mail_alert}
            for ru in RoomUser.objects.all()
        ],
        "files": made_files,
    },
    sys.stdout,
)
