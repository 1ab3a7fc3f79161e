"""Checking uploaded audio and video: parse the container and decode with FFmpeg (PyAV).

:func:`probe` is to recordings what :func:`whatsapp.images.process_image` is to pictures: it
refuses what FFmpeg cannot demux from end to end, or whose first frame of each stream it cannot
decode, so a valid magic number followed by anything else is not a video. The caller names the
container (judged from the magic number) and FFmpeg's demuxer for it is forced: FFmpeg never
guesses among its other demuxers, and only the codecs below are ever decoded.
"""

import io
from dataclasses import dataclass

import av
from django.core.exceptions import ValidationError

# FFmpeg demuxer for each container we take.
CONTAINERS = {
    "mov": "mov",  # MP4, M4A, QuickTime, 3GP
    "matroska": "matroska",  # WebM
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
    "mp3": "mp3",
    "aac": "aac",  # ADTS
}
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "h263"})
AUDIO_CODECS = frozenset(
    {"aac", "mp3", "opus", "vorbis", "flac", "alac"}
    | {"pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_alaw", "pcm_mulaw"}
)


@dataclass(frozen=True)
class Recording:
    """What a parsed audio or video file holds (cover art aside)."""

    container: str
    video_codecs: frozenset[str]
    audio_codecs: frozenset[str]
    width: int | None
    height: int | None

    @property
    def has_video(self) -> bool:
        return bool(self.video_codecs)


def probe(data: bytes, *, container: str) -> Recording:
    """Demux ``data`` as ``container`` to its end and decode each stream's first frame.

    Raises ValidationError when the bytes are not such a file, hold no sound or pictures, use a
    codec outside ``VIDEO_CODECS`` / ``AUDIO_CODECS``, or fail to decode.
    """
    invalid = ValidationError("The file is not a valid audio or video file.", code="invalid_media")
    try:
        with av.open(io.BytesIO(data), format=CONTAINERS[container]) as source:
            streams = [stream for stream in source.streams if _is_playable(stream)]
            if not streams:
                raise invalid
            video = {s.codec_context.codec.canonical_name for s in streams if s.type == "video"}
            audio = {s.codec_context.codec.canonical_name for s in streams if s.type == "audio"}
            if not video <= VIDEO_CODECS or not audio <= AUDIO_CODECS:
                codecs = ", ".join(sorted((video - VIDEO_CODECS) | (audio - AUDIO_CODECS)))
                raise ValidationError(
                    f"The file uses a codec that is not supported ({codecs}).", code="codec"
                )
            _decode_first_frames(source, streams)
            first_video = next((s for s in streams if s.type == "video"), None)
            return Recording(
                container=container,
                video_codecs=frozenset(video),
                audio_codecs=frozenset(audio),
                width=first_video.codec_context.width if first_video else None,
                height=first_video.codec_context.height if first_video else None,
            )
    except av.FFmpegError as exc:
        raise invalid from exc
    except (EOFError, OSError, ValueError) as exc:  # PyAV maps some FFmpeg errors to these
        raise invalid from exc


def _is_playable(stream) -> bool:
    """An audio or video stream; cover art (an MP3's or M4A's picture) is neither."""
    if stream.type not in ("audio", "video"):
        return False
    return not stream.disposition & av.stream.Disposition.attached_pic


def _decode_first_frames(source, streams) -> None:
    """Read every packet (the container holds together to its end) and decode until each
    stream gave a frame."""
    waiting = {stream.index: stream for stream in streams}
    for stream in streams:
        stream.thread_type = "NONE"  # no frame threading: the first frame comes out first
    for packet in source.demux(streams):
        if packet.stream.index in waiting and packet.decode():
            del waiting[packet.stream.index]
    for index, stream in list(waiting.items()):
        if stream.codec_context.decode(None):  # frames the decoder still held
            del waiting[index]
    if waiting:
        raise ValidationError(
            "The file is not a valid audio or video file: a stream has no frame.",
            code="invalid_media",
        )
